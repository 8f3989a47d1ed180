"""Pay with Points: record the order, then ask Points for a hosted checkout.

The call goes through :func:`~storefront.points.client.points_client`, which records it on the order's
timeline (``PointsApiCall``). What happens after the shopper pays is the webhook's job
(``webhook.py``); an order whose webhook never came is reconciled (``reconcile.py``).
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..carts import CartTotals
from ..carts import totals as cart_totals
from ..catalogue import name_in
from ..database import begin_write
from ..extensions import db
from ..models import Cart, Order, OrderLine, OrderTransition, utcnow
from ..privacy import mask_phone
from . import orders
from .client import PointsError, points_client, to_wire_amount
from .locks import lock_order

log = logging.getLogger(__name__)

# This shop's order numbers, as _pending_order_for makes them: PTS-<year>-<order id, 6 digits or
# more>. A webhook about any other order_number is about another order on the same Points account.
ORDER_NUMBER = re.compile(r"PTS-\d{4}-\d{6,}")

CLAIM_MARGIN_SECONDS = 15


# --- Checkout --------------------------------------------------------------------------------


@dataclass
class Customer:
    name: str
    phone: str  # already normalised to 5XXXXXXXX
    city: str
    address_line: str


# A checkout call that ended like this may still have made a Points order under our order_number
# (decisions: "Ambiguous checkout failure"); any other error is a clear refusal that made nothing.
NO_CLEAR_ANSWER = frozenset({"timeout", "connection", "server", "bad_response"})


class CheckoutFailed(Exception):
    """Points did not give us a checkout_url; the order keeps the error, the cart is untouched.

    ``retired``: the call ended without a clear answer, so the order was cancelled locally and
    its order_number is never sent again; pressing Pay again starts a new order."""

    def __init__(self, order: Order, error: PointsError, retired: bool = False):
        super().__init__(error.message)
        self.order = order
        self.error = error
        self.retired = retired


def checkout_body(order: Order, callback_url: str) -> dict:
    """The ``CheckoutRequest`` for an order. Money becomes JSON numbers only here.

    Prices include VAT, so there is no ``tax_amount``: ``total_price`` is the lines plus shipping.
    The product names are in the shopper's language (``order.locale``), which ``metadata`` names.
    """
    body = {
        "order_number": order.order_number,
        "total_price": to_wire_amount(order.total),
        "phone_number": order.phone,
        "name": order.customer_name,
        "callback_url": callback_url,
        "products": [
            {
                "product_name": line.product_name,
                "product_price": to_wire_amount(line.unit_price),
                "quantity": line.quantity,
            }
            for line in order.lines
        ],
        "shipping_address": {"city": order.city, "line1": order.address_line},
        "metadata": {
            "cart_id": order.cart_id,
            "channel": "web",
            "shop_order_id": order.id,
            "locale": order.locale or "en",
        },
    }
    if order.shipping_amount:
        body["shipping_amount"] = to_wire_amount(order.shipping_amount)
    return body


def start_checkout(
    cart: Cart, priced: CartTotals, customer: Customer, callback_url_for: Callable[[Order], str], locale: str = "en"
) -> Order:
    """Record the order, then ask Points for a hosted checkout. Returns the order with its
    checkout_url, or without one while another request (a double click) is asking Points for it.

    The same cart pressed twice reuses its pending order, ``order_number`` and Points session; a
    changed cart (or changed details, or an expired session) cancels the old pending order
    locally and starts a new one. A call that ended without a clear answer retires its order
    (:data:`NO_CLEAR_ANSWER`); a clear refusal leaves it to be asked again under the same number.
    """
    order = _pending_order_for(cart, priced, customer, locale)
    if order.checkout_url:
        return order  # a double click or the back button: its Points session is still alive
    if not _claim_checkout_call(order):
        return _checkout_started_elsewhere(order)

    try:
        order.checkout_url = points_client(order).create_checkout(checkout_body(order, callback_url_for(order)))
        order.checkout_started_at = utcnow()
    except PointsError as error:
        order.last_error = f"Checkout call failed: {error}"
        retired = error.kind in NO_CLEAR_ANSWER
        if retired:
            # Points may hold an order under this number that nobody will ever see: never send
            # the number again, so that order's late "cancelled" cannot touch the next one.
            orders.cancel_locally(order, orders.NO_ANSWER, source="checkout")
        else:
            order.checkout_started_at = None  # released: the same order may ask again
        db.session.commit()
        log.warning("Checkout for %s failed (%s): %s", order.order_number, "retired" if retired else "kept", error)
        raise CheckoutFailed(order, error, retired) from None
    order.last_error = None
    db.session.commit()
    log.info("Checkout for %s (phone %s) started", order.order_number, mask_phone(order.phone))
    return order


def _claim_checkout_call(order: Order) -> bool:
    """Only one request at a time may ask Points for this order's session (a double click sends two).

    An atomic UPDATE is the lock: it works across threads, processes and machines alike. A claim
    is never taken over: a request that died holding it died without an answer, and its order
    is retired instead (:func:`retire_unanswered`).
    """
    claimed = (
        db.session.execute(
            sa.update(Order)
            .where(
                Order.id == order.id,
                Order.status == orders.PENDING_PAYMENT,
                Order.checkout_url.is_(None),
                Order.checkout_started_at.is_(None),
            )
            .values(checkout_started_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    db.session.commit()
    return claimed


def unanswered(order: Order) -> bool:
    """The order's checkout call was claimed by a request that died before Points answered it."""
    return (
        order.status == orders.PENDING_PAYMENT
        and not order.checkout_url
        and order.checkout_started_at is not None
        and order.checkout_started_at < claim_given_up_before()
    )


def retire_unanswered(order: Order) -> bool:
    """Cancel an order whose call died unanswered (:func:`unanswered`): Points may hold an order
    under its number. Returns whether it did; read again under the order lock, so a claim that
    was answered meanwhile is left alone."""
    if not unanswered(order):
        return False
    locked = lock_order(Order.id == order.id)
    retired = locked is not None and unanswered(locked)
    if retired:
        orders.cancel_locally(locked, orders.NO_ANSWER, source="checkout")
    db.session.commit()
    return retired


def claim_given_up_before() -> datetime:
    """A claim made before this moment belongs to a request that died: the call it made has
    timed out long since (``POINTS_TIMEOUT_SECONDS``), with a margin for the database writes
    around it, so taking it over cannot start a second call beside a live one."""
    return utcnow() - timedelta(seconds=current_app.config["POINTS_TIMEOUT_SECONDS"] + CLAIM_MARGIN_SECONDS)


def _checkout_started_elsewhere(order: Order) -> Order:
    """Another request holds the claim and is asking Points now: return the order as it stands,
    without waiting. Waiting here would hold a server thread for up to the call's timeout, and in
    demo mode the threads are also what serves that very call to the embedded sandbox; the
    shopper waits on a page that refreshes instead (:func:`checkout_progress`)."""
    db.session.refresh(order)
    return order


def checkout_progress(order: Order) -> str:
    """Where the call for this order's Points session stands, for the page a shopper waits on:
    ``ready`` (``checkout_url`` stored), ``asking`` (a request holds the claim), or ``failed``
    (the call failed and was released, or its request died): press Pay again."""
    if order.checkout_url:
        return "ready"
    if order.checkout_started_at is None or order.checkout_started_at < claim_given_up_before():
        return "failed"
    return "asking"


def _pending_order_for(cart: Cart, priced: CartTotals, customer: Customer, locale: str = "en") -> Order:
    """The cart's order awaiting payment if it still fits, else a new one (the old one given up).

    One ``order_number`` never gets a second Points session once it has one, nor once a call for
    it went unanswered: Points would then hold two orders under our number, and the first one's
    late ``cancelled`` could hit the second.
    """
    existing = _awaiting_payment(cart)
    if existing is not None and retire_unanswered(existing):
        existing = None
    if existing is not None:
        why_not = _why_not_reuse(existing, priced, customer)
        if why_not is None:
            return existing
        orders.cancel_locally(existing, why_not)
        db.session.commit()

    order = _new_order(
        cart,
        priced,
        customer,
        locale,
        placeholder="PENDING",
        status=orders.PENDING_PAYMENT,
        reason="Pay with Points pressed",
    )
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


CHOSE_CASH = "The shopper chose cash on delivery instead; nothing is to be paid through Points."


def place_cash_order(cart: Cart, priced: CartTotals, customer: Customer, locale: str = "en") -> Optional[Order]:
    """Cash on delivery: the shop confirms the order itself (Points is not asked) and it waits for
    staff to collect the money; only then is it sent to Points for earning (earn.py).

    Same numbering as a Pay with Points order; the cart is emptied as for a paid one. A pending
    Pay with Points order of the same cart is given up (a late payment of it goes to review).

    A double click sends the form twice: the cart is read again under the write lock, and the
    second submission, finding it already emptied by the first, gets the first's order. None when
    the cart changed under the form (the caller sends the shopper back to it)."""
    fingerprint = priced.fingerprint()
    begin_write()  # SQLite: BEGIN IMMEDIATE; PostgreSQL: the cart row locked below until commit
    cart = db.session.scalar(
        sa.select(Cart).where(Cart.id == cart.id).with_for_update().execution_options(populate_existing=True)
    )
    if cart_totals(cart).fingerprint() != fingerprint:
        placed = _cash_order_just_placed(cart, fingerprint)
        db.session.commit()
        return placed
    existing = _awaiting_payment(cart)
    if existing is not None:
        orders.cancel_locally(existing, CHOSE_CASH)
    order = _new_order(
        cart,
        priced,
        customer,
        locale,
        placeholder="COD",
        status=orders.AWAITING_COLLECTION,
        reason="Cash on delivery chosen: the shop confirmed the order",
        payment_method=orders.CASH_ON_DELIVERY,
    )
    db.session.add(order)
    db.session.flush()
    order.order_number = f"PTS-{order.created_at.year}-{order.id:06d}"
    orders.empty_cart_of(order)
    db.session.commit()
    log.info("Cash on delivery order %s placed (phone %s)", order.order_number, mask_phone(order.phone))
    return order


SAME_SUBMISSION = timedelta(minutes=2)  # a second press of the same form, not a new purchase


def _cash_order_just_placed(cart: Cart, fingerprint: Optional[str] = None) -> Optional[Order]:
    """The cash order this cart (this very content, if ``fingerprint``) became a moment ago: the
    first of a double click."""
    criteria = [
        Order.cart_id == cart.id,
        Order.status == orders.AWAITING_COLLECTION,
        Order.created_at >= utcnow() - SAME_SUBMISSION,
    ]
    if fingerprint is not None:
        criteria.append(Order.cart_fingerprint == fingerprint)
    return db.session.scalar(sa.select(Order).where(*criteria).order_by(Order.id.desc()).limit(1))


def cash_order_just_placed(cart: Optional[Cart]) -> Optional[Order]:
    """For a cash submission that finds its cart already empty: the order the same double click
    placed a moment ago, if any."""
    return _cash_order_just_placed(cart) if cart is not None else None


def _awaiting_payment(cart: Cart) -> Optional[Order]:
    """The cart's order awaiting payment; the unique index allows at most one."""
    return db.session.scalar(sa.select(Order).where(Order.cart_id == cart.id, Order.status == orders.PENDING_PAYMENT))


def _why_not_reuse(order: Order, priced: CartTotals, customer: Customer) -> Optional[str]:
    if order.cart_fingerprint != priced.fingerprint():
        return orders.CART_CHANGED
    if (order.customer_name, order.phone, order.city, order.address_line) != (
        customer.name,
        customer.phone,
        customer.city,
        customer.address_line,
    ):
        return orders.DETAILS_CHANGED
    session_life = timedelta(minutes=current_app.config["CHECKOUT_SESSION_MINUTES"] - 1)
    if order.checkout_url and order.checkout_started_at < utcnow() - session_life:
        return orders.CHECKOUT_EXPIRED
    return None  # the same checkout, pressed again: reuse its order_number (and its session)


def _new_order(
    cart: Cart,
    priced: CartTotals,
    customer: Customer,
    locale: str,
    *,
    placeholder: str,
    status: str,
    reason: str,
    payment_method: Optional[str] = None,
) -> Order:
    """A new order of the cart's priced lines (names in the shopper's language), with its first
    status change. Its ``order_number`` is a placeholder until the caller flushes it for an id."""
    order = Order(
        order_number=f"{placeholder}-{cart.token[:16]}",
        cart_id=cart.id,
        cart_fingerprint=priced.fingerprint(),
        subtotal=priced.subtotal,
        shipping_amount=priced.shipping,
        total=priced.total,
        status=status,
        locale=locale,
    )
    if payment_method is not None:
        order.payment_method = payment_method
    _set_customer(order, customer)
    for line in priced.lines:
        order.lines.append(
            OrderLine(
                product_id=line.product.id,
                product_name=name_in(line.product, locale),
                unit_price=line.unit_price,
                quantity=line.quantity,
            )
        )
    order.transitions.append(OrderTransition(from_status=None, to_status=status, source="checkout", reason=reason))
    return order


def _set_customer(order: Order, customer: Customer) -> None:
    order.customer_name, order.phone = customer.name, customer.phone
    order.city, order.address_line = customer.city, customer.address_line
