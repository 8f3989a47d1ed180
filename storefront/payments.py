"""The shop's side of the Points redeem flow: start a checkout, reconcile an order.

Every call goes through :class:`~storefront.points.PointsClient` and is recorded on the order's
timeline (``PointsApiCall``). State changes go through ``orders.apply_points_status``.
"""
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Optional

import requests
import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.exc import IntegrityError

from . import orders
from .cart.service import CartTotals
from .cart.service import totals as cart_totals
from .config import DEMO_SANDBOX_PATH
from .extensions import db
from .models import Cart, CartLine, Order, OrderLine, OrderTransition, PointsApiCall, utcnow
from .points import CallRecord, PointsClient, PointsError, json_for_log, to_wire_amount
from .privacy import mask_phone

log = logging.getLogger(__name__)


# --- The client ------------------------------------------------------------------------------

def points_api_url() -> str:
    """POINTS_API_URL, or in demo mode the sandbox mounted in this very server.

    In demo mode, where this server listens is noted per request by ``note_own_origin``
    (registered in ``create_app``); outside a request (CLI) it is SHOP_BASE_URL.
    """
    configured = current_app.config["POINTS_API_URL"]
    if configured:
        return configured
    return f"{g.get('own_origin') or current_app.config['SHOP_BASE_URL']}{DEMO_SANDBOX_PATH}/api"


def own_origin(environ: dict) -> str:
    """Where this server listens, from what the WSGI server says, never from the Host header
    (which the browser writes: a forged one must not send our API calls elsewhere)."""
    # Behind ProxyFix, what the server itself was given, not what the proxy says.
    environ = {**environ, **environ.get("werkzeug.proxy_fix.orig", {})}
    host = environ.get("SERVER_NAME") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}:{environ.get('SERVER_PORT', '80')}"


def _http_session() -> requests.Session:
    # One connection pool per app, shared by every client built from it.
    return current_app.extensions.setdefault("points_http_session", requests.Session())


def points_client(order: Optional[Order] = None) -> PointsClient:
    """A client whose every call is recorded on ``order``'s timeline (or the shop's, if None)."""

    def record(call: CallRecord) -> None:
        db.session.add(
            PointsApiCall(
                order_id=order.id if order is not None else None,
                method=call.method,
                path=call.path,
                request_body=json_for_log(call.request_body) if call.request_body is not None else None,
                response_status=call.response_status,
                response_body=json_for_log(call.response_body) if call.response_body is not None else None,
                error=call.error,
                duration_ms=call.duration_ms,
            )
        )

    cfg = current_app.config
    return PointsClient(
        points_api_url(),
        cfg["POINTS_PUBLIC_KEY"],
        cfg["POINTS_PRIVATE_KEY"],
        timeout=cfg["POINTS_TIMEOUT_SECONDS"],
        session=_http_session(),
        recorder=record,
    )


# --- Checkout --------------------------------------------------------------------------------

@dataclass
class Customer:
    name: str
    phone: str  # already normalised to 5XXXXXXXX
    city: str
    address_line: str


class CheckoutFailed(Exception):
    """Points did not give us a checkout_url; the order keeps the error, the cart is untouched."""

    def __init__(self, order: Order, error: PointsError):
        super().__init__(error.message)
        self.order = order
        self.error = error


def checkout_body(order: Order, callback_url: str) -> dict:
    """The ``CheckoutRequest`` for an order. Money becomes JSON numbers only here."""
    body = {
        "order_number": order.order_number,
        "total_price": to_wire_amount(order.total),
        "phone_number": order.phone,
        "name": order.customer_name,
        "callback_url": callback_url,
        "products": [
            {"product_name": line.product_name, "product_price": to_wire_amount(line.unit_price),
             "quantity": line.quantity}
            for line in order.lines
        ],
        "shipping_address": {"city": order.city, "line1": order.address_line},
        "metadata": {"cart_id": order.cart_id, "channel": "web", "shop_order_id": order.id},
    }
    if order.shipping_amount:
        body["shipping_amount"] = to_wire_amount(order.shipping_amount)
    return body


def start_checkout(cart: Cart, priced: CartTotals, customer: Customer,
                   callback_url_for: Callable[[Order], str]) -> Order:
    """Record the order, then ask Points for a hosted checkout. Returns the order with its checkout_url.

    The same cart pressed twice reuses its pending order, ``order_number`` and Points session; a
    changed cart (or changed details, or an expired session) cancels the old pending order
    locally and starts a new one.
    """
    order = _pending_order_for(cart, priced, customer)
    if order.checkout_url:
        return order  # a double click or the back button: its Points session is still alive
    if not _claim_checkout_call(order):
        return _checkout_started_elsewhere(order)

    try:
        order.checkout_url = points_client(order).create_checkout(checkout_body(order, callback_url_for(order)))
        order.checkout_started_at = utcnow()
    except PointsError as error:
        order.last_error = f"Checkout call failed: {error}"
        order.checkout_started_at = None  # released: the shopper may try again
        db.session.commit()
        log.warning("Checkout for %s failed: %s", order.order_number, error)
        raise CheckoutFailed(order, error) from None
    order.last_error = None
    db.session.commit()
    log.info("Checkout for %s (phone %s) started", order.order_number, mask_phone(order.phone))
    return order


def _claim_checkout_call(order: Order) -> bool:
    """Only one request at a time may ask Points for this order's session (a double click sends two).

    An atomic UPDATE is the lock: it works across threads, processes and machines alike. A claim
    older than the call's timeout belongs to a request that died, and is taken over.
    """
    stale = utcnow() - timedelta(seconds=current_app.config["POINTS_TIMEOUT_SECONDS"] + 5)
    claimed = db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.checkout_url.is_(None),
               sa.or_(Order.checkout_started_at.is_(None), Order.checkout_started_at < stale))
        .values(checkout_started_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    return claimed


def _checkout_started_elsewhere(order: Order) -> Order:
    """Wait for the request that holds the claim to get the checkout_url, and share it."""
    deadline = time.monotonic() + current_app.config["POINTS_TIMEOUT_SECONDS"] + 2
    while time.monotonic() < deadline:
        time.sleep(0.1)
        db.session.refresh(order)
        if order.checkout_url:
            return order
        if order.checkout_started_at is None:  # the other request failed and released it
            break
    raise CheckoutFailed(order, PointsError("timeout", "Another request for this checkout did not finish"))


def _pending_order_for(cart: Cart, priced: CartTotals, customer: Customer) -> Order:
    """The cart's order awaiting payment if it still fits, else a new one (the old one given up).

    One ``order_number`` never gets a second Points session once it has one: Points would then
    hold two orders under our number, and the first one's late ``cancelled`` could hit the second.
    """
    existing = _awaiting_payment(cart)
    if existing is not None:
        why_not = _why_not_reuse(existing, priced, customer)
        if why_not is None:
            return existing
        orders.cancel_locally(existing, why_not)
        db.session.commit()

    order = Order(
        order_number=f"PENDING-{cart.token[:16]}",  # replaced below, in the same transaction
        cart_id=cart.id,
        cart_fingerprint=priced.fingerprint(),
        subtotal=priced.subtotal,
        shipping_amount=priced.shipping,
        total=priced.total,
        status=orders.PENDING_PAYMENT,
    )
    _set_customer(order, customer)
    for line in priced.lines:
        order.lines.append(OrderLine(product_id=line.product.id, product_name=line.product.name,
                                     unit_price=line.unit_price, quantity=line.quantity))
    order.transitions.append(OrderTransition(from_status=None, to_status=orders.PENDING_PAYMENT,
                                             source="checkout", reason="Pay with Points pressed"))
    db.session.add(order)
    try:
        db.session.flush()
        order.order_number = f"PTS-{order.created_at.year}-{order.id:06d}"
        db.session.commit()
    except IntegrityError:
        # Another request for the same cart won the race: use its order.
        db.session.rollback()
        winner = _awaiting_payment(cart)
        if winner is None:
            raise
        return winner
    return order


def _awaiting_payment(cart: Cart) -> Optional[Order]:
    """The cart's order awaiting payment; the unique index allows at most one."""
    return db.session.scalar(
        sa.select(Order).where(Order.cart_id == cart.id, Order.status == orders.PENDING_PAYMENT)
    )


def _why_not_reuse(order: Order, priced: CartTotals, customer: Customer) -> Optional[str]:
    if order.cart_fingerprint != priced.fingerprint():
        return "The cart changed before payment; a new order replaced this one."
    if (order.customer_name, order.phone, order.city, order.address_line) != (
            customer.name, customer.phone, customer.city, customer.address_line):
        return "The contact or delivery details changed before payment; a new order replaced this one."
    session_life = timedelta(minutes=current_app.config["CHECKOUT_SESSION_MINUTES"] - 1)
    if order.checkout_url and order.checkout_started_at < utcnow() - session_life:
        return "checkout expired"
    return None  # the same checkout, pressed again: reuse its order_number (and its session)


def _set_customer(order: Order, customer: Customer) -> None:
    order.customer_name, order.phone = customer.name, customer.phone
    order.city, order.address_line = customer.city, customer.address_line


# --- After payment ---------------------------------------------------------------------------

def release_for_fulfilment(order: Order) -> None:
    """Paid: the goods can go out. The shopper's cart is emptied if it still holds just what was
    paid for (not if the shopper has since changed it, e.g. for a newer order)."""
    cart = db.session.get(Cart, order.cart_id) if order.cart_id is not None else None
    if cart is not None and cart_totals(cart).fingerprint() == order.cart_fingerprint:
        db.session.execute(sa.delete(CartLine).where(CartLine.cart_id == cart.id))
        db.session.expire(cart, ["lines"])
    log.info("Order %s released for fulfilment", order.order_number)


# --- Reconciliation --------------------------------------------------------------------------

def reconcile_order(order: Order) -> str:
    """Ask Points about one order whose webhook never came, and apply the answer.

    Uses the ``uuid`` from a webhook, else the callback's unverified hint, whose ``order_number``
    is checked before anything is applied. With no uuid past the session life, the order is
    given up as expired. Returns a sentence for staff; raises PointsError on a failed call.
    """
    uuid = order.points_uuid or order.points_uuid_hint
    if not uuid:
        expired_before = utcnow() - timedelta(minutes=current_app.config["CHECKOUT_SESSION_MINUTES"])
        if order.status == orders.PENDING_PAYMENT and (order.checkout_started_at or order.created_at) < expired_before:
            orders.cancel_locally(order, "checkout expired", source="reconciliation")
            db.session.commit()
            return f"{order.order_number}: no Points order known and the session has expired; cancelled."
        return f"{order.order_number}: no Points order known yet; nothing to ask."

    try:
        remote = points_client(order).get_order(uuid)
    except PointsError:
        db.session.commit()  # keep the recorded call on the timeline
        raise
    db.session.refresh(order, with_for_update=True)  # locked only now, not during the HTTP call
    if remote.order_number.lstrip("#") != order.order_number:
        order.points_uuid_hint = None
        db.session.commit()
        return (f"{order.order_number}: Points order {uuid} belongs to {remote.order_number!r}, "
                "not to this order; the hint was dropped.")
    order.points_uuid = remote.uuid
    order.points_reference_number = remote.reference_number or order.points_reference_number
    outcome = orders.apply_points_status(order, remote.order_status, source="reconciliation",
                                         total_price=remote.total_price)
    if outcome.outcome == "applied" and order.status in (orders.PAID, orders.AUTHORIZED):
        release_for_fulfilment(order)
    db.session.commit()
    return f"{order.order_number}: Points says {remote.order_status}; {outcome.outcome} ({outcome.detail})."


def reconcile_stale_orders(older_than: timedelta) -> list[str]:
    """Reconcile every order still waiting for its webhook (pending or authorized) older than that."""
    cutoff = utcnow() - older_than
    stale = db.session.scalars(
        sa.select(Order).where(Order.status.in_((orders.PENDING_PAYMENT, orders.AUTHORIZED)),
                               Order.created_at < cutoff).order_by(Order.id)
    ).all()
    results = []
    for order in stale:
        try:
            results.append(reconcile_order(order))
        except PointsError as error:
            results.append(f"{order.order_number}: Points call failed ({error}); try again later.")
    return results or ["No pending orders older than that."]
