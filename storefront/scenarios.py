"""The presenter's one-click scenarios (demo mode only): each makes a real order and plays it out.

Each scenario fills a cart of its own with one product, starts the checkout exactly as Pay does
(:func:`~storefront.points.checkout.start_checkout`), or places it as cash on delivery exactly as
the checkout's cash choice does (:func:`~storefront.points.checkout.place_cash_order`), then plays
the shopper and Points' own doings through the embedded sandbox's control endpoints, over HTTP
like everything the shop asks of Points (``/points-sandbox/_control/...``: complete a session,
chaos switches, the trigger). What the shop then does is its own code, untouched: the webhook,
reconciliation, staff actions, the earning sender.
"""

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import requests
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from . import carts, housekeeping
from .demo import sandbox_api_url
from .extensions import db
from .models import Cart, Order, Product
from .points import earn, orders, staff
from .points.checkout import Customer, place_cash_order, start_checkout

PRODUCT = "sukkari-dates"  # 79 SAR + 25 shipping: less than the test shopper's 5,000 points (150 SAR)
RICH_SHOPPER = "500000001"  # 5,000 points
PAYING_CARD, DECLINED_CARD = "4111111111111111", "4000000000000002"
CONTROL_TIMEOUT = 15  # seconds; waiting for the outbox to drain is bounded by the sandbox itself
# The lost webhook's order waits this long, pending, before the shop's reconciliation takes it
# (the housekeeping pass waits 15 minutes): long enough to show the order waiting.
RECONCILE_AFTER_SECONDS = 10  # the watch sentence says "about ten seconds"

# The demo's test shopper, in the language the presenter speaks.
DEMO_SHOPPER = {
    "ar": {"name": "سارة القحطاني", "city": "الرياض", "address_line": "طريق الملك فهد 1"},
    "en": {"name": "Sara Al-Qahtani", "city": "Riyadh", "address_line": "King Fahd Rd 1"},
}


def demo_customer(locale: str, phone: str = RICH_SHOPPER) -> Customer:
    return Customer(phone=phone, **DEMO_SHOPPER.get(locale, DEMO_SHOPPER["en"]))


class ScenarioFailed(Exception):
    """The sandbox refused a step (or could not be reached): nothing more was done."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: object  # lazy strings: read in the presenter's language
    watch: object
    play: Callable  # (order, sandbox) -> None
    shop_page: str = "order"  # what the shopper's pane shows after: "order", "checkout" (hosted page)
    cash: bool = False  # the order is placed as cash on delivery, not checked out with Points


class Sandbox:
    """The sandbox's control endpoints, as a presenter (or a test) drives them."""

    def __init__(self):
        self.base = sandbox_api_url().removesuffix("/api") + "/_control"

    def call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = requests.request(method, self.base + path, timeout=CONTROL_TIMEOUT, **kwargs)
        except requests.RequestException as error:
            raise ScenarioFailed(f"{method} {path}: {error}") from None
        if response.status_code >= 300:
            raise ScenarioFailed(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response.json()

    def complete(self, order: Order, points: int = 0, card: str = PAYING_CARD) -> dict:
        session_id = order.checkout_url.rstrip("/").rsplit("/", 1)[-1]
        body = {"phone_number": order.phone, "points": points, "card_number": card}
        return self.call("POST", f"/sessions/{session_id}/complete", json=body)

    def chaos(self, **switches) -> dict:
        return self.call("POST", "/chaos", json=switches)

    def drain(self) -> dict:
        return self.call("GET", "/deliveries", params={"wait": 1, "timeout": 10})

    def trigger(self, **body) -> dict:
        return self.call("POST", "/trigger", json=body)

    def preview(self, event: str, order_uuid: str) -> dict:
        return self.call("GET", "/trigger/preview", params={"event": event, "order_uuid": order_uuid})

    def reset_balances(self) -> dict:
        return self.call("POST", "/shoppers/reset", json={})


# --- The scenarios ------------------------------------------------------------------------------


def _full_redeem(order, sandbox):
    sandbox.complete(order, points=10_000)  # more than the order needs: the whole order in points


def _partial_redeem(order, sandbox):
    sandbox.complete(order, points=1_000)  # 30 SAR in points, the rest by card


def _declined_then_card(order, sandbox):
    """The shopper's own taps, on the hosted page in the left pane: nothing to drive here."""


def _webhook_lost(order, sandbox):
    """Points pays, its webhook is lost; the order waits, and RECONCILE_AFTER_SECONDS later the
    shop's own reconciliation takes it (demo mode's housekeeping pass, its turn brought forward)."""
    sandbox.chaos(webhook_drop_next=1)
    answer = sandbox.complete(order)
    sandbox.drain()
    sandbox.chaos(webhook_drop_next=0)  # nothing else is lost if the flow sent fewer than planned
    _note_uuid_hint(order, answer)
    housekeeping.reconcile_soon(
        current_app._get_current_object(), order.id, order.order_number, RECONCILE_AFTER_SECONDS
    )


def _note_uuid_hint(order, answer: dict) -> None:
    """The shopper's browser came back to callback_url with ``order_uuid``: the hint the return page
    keeps (unverified; reconciliation checks its order_number before applying anything)."""
    hint = answer.get("order_uuid")
    if hint and not order.points_uuid:
        order.points_uuid_hint = str(uuid.UUID(hint))
        db.session.commit()


def _duplicate_storm(order, sandbox):
    sandbox.chaos(webhook_duplicate=True)
    try:
        answer = sandbox.complete(order)
        for _ in range(2):  # Points retries the same event again, on top of the duplicates
            sandbox.trigger(event="approved", order_uuid=answer["order_uuid"])
    finally:
        sandbox.chaos(webhook_duplicate=False)


def _late_cancel(order, sandbox):
    answer = sandbox.complete(order)
    sandbox.drain()
    # The abandoned-checkout cancel that Points sends late, after the payment: its body as Points
    # would write it (order_status cancelled), sent through the trigger's edited body.
    preview = json.loads(sandbox.preview("cancelled", answer["order_uuid"])["body"])
    preview["order"].update(order_status="cancelled", reason="checkout abandoned")
    sandbox.trigger(event="cancelled", order_uuid=answer["order_uuid"], body=json.dumps(preview))


def _partial_refund(order, sandbox):
    sandbox.complete(order)
    sandbox.drain()
    db.session.refresh(order)
    if order.status != orders.PAID:
        raise ScenarioFailed(f"{order.order_number} is {order.status}, not paid")
    staff.refund_order(order, Decimal("20.00"), "One box arrived damaged", submission_key=str(uuid.uuid4()))


def _low_balance(order, sandbox):
    sandbox.complete(order, points=10_000)
    sandbox.trigger(
        event="low_balance_warning", current_balance="120.00", order_points="3467", balance_after_order="16.00"
    )


def _cash_on_delivery(order, sandbox):
    """The shop confirmed the order without Points; staff mark the cash collected, as the admin's
    button does; one pass of the earning sender (a thread in demo mode, a command in production)
    sends it to POST /v1/orders/earning; Points' ``approved`` webhook of the earning order follows."""
    staff.mark_collected(order)
    earn.send_due()  # nothing to send if demo mode's sender thread took it first: it is on its way
    sandbox.drain()


def _paid_after_giving_up(order, sandbox):
    # The shop gave up on the order (the shopper changed the cart in another tab) while the first
    # tab was still on Points' page; then that tab paid.
    orders.cancel_locally(order, orders.CART_CHANGED)
    db.session.commit()
    sandbox.complete(order)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "full_redeem",
            _l("Full redeem"),
            _l("The whole order paid in points: one call to Points, one approved webhook, the order paid."),
            _full_redeem,
        ),
        Scenario(
            "partial_redeem",
            _l("Partial redeem plus card"),
            _l("30 SAR in points and the rest by card: the webhook's total_price matches the order's total."),
            _partial_redeem,
        ),
        Scenario(
            "declined_card",
            _l("Declined card, then another card"),
            _l(
                "On the left, tap the declined test card, then the one that pays: one order, "
                "paid once, and no cancel from the declined try."
            ),
            _declined_then_card,
            shop_page="checkout",
        ),
        Scenario(
            "webhook_lost",
            _l("Webhook lost, then reconciliation"),
            _l(
                "Points paid but its webhook never arrived: the order waits, pending payment. About ten "
                "seconds later the shop's own reconciliation (demo mode's housekeeping, whose 15-minute "
                "wait is cut short for this order) asks Points (GET /v1/orders/{uuid}) and pays it, "
                "marked as reconciliation. Nothing to click."
            ),
            _webhook_lost,
        ),
        Scenario(
            "duplicate_storm",
            _l("A storm of duplicates"),
            _l("Six deliveries of the same approved event: the first pays the order, the rest are duplicates."),
            _duplicate_storm,
        ),
        Scenario(
            "late_cancel",
            _l("A late cancel after payment"),
            _l("A cancelled webhook arrives after the payment: the shop answers 200 and the order stays paid."),
            _late_cancel,
        ),
        Scenario(
            "partial_refund",
            _l("A partial refund the shopper sees"),
            _l(
                "Staff refund 20 SAR through Points; the refunded webhook makes it partially refunded, "
                "and the shopper's order page on the left says so."
            ),
            _partial_refund,
        ),
        Scenario(
            "low_balance",
            _l("The merchant's low balance warning"),
            _l("A merchant event with no order: the shop shows it as the account's health, above the timeline."),
            _low_balance,
        ),
        Scenario(
            "paid_after_giving_up",
            _l("Paid after the shop gave up"),
            _l(
                "The shop had cancelled the order when Points' approved webhook came: it goes to "
                "needs_review for staff to refund or accept, never silently paid."
            ),
            _paid_after_giving_up,
        ),
        Scenario(
            "cash_on_delivery",
            _l("Cash on delivery earning points"),
            _l(
                "The shop confirmed the order itself, without Points; staff marked the cash collected, "
                "and only then did the shop send it to Points (POST /v1/orders/earning). Once Points "
                "approves, the points earned show on the timeline and on the shopper's order page. Its "
                "approved webhook is applied, or already known when Points' answer came first: counted once either way."
            ),
            _cash_on_delivery,
            cash=True,
        ),
    )
}


def run(name: str, locale: str, callback_url_for: Callable[[Order], str]) -> Order:
    """Play one scenario on a new order of a cart of its own; returns that order.

    The test shoppers' balances are put back first, so every run starts from 5,000 points.
    """
    scenario = SCENARIOS[name]
    sandbox = Sandbox()
    sandbox.reset_balances()
    order = place_one_cash_order(locale) if scenario.cash else checkout_one_product(locale, callback_url_for)
    scenario.play(order, sandbox)
    return order


def checkout_one_product(locale: str, callback_url_for: Callable[[Order], str], cart: Cart | None = None) -> Order:
    """One box of dates in ``cart`` (a new one by default), checked out as the test shopper."""
    cart = _cart_of_one_product(cart)
    return start_checkout(cart, carts.totals(cart), demo_customer(locale), callback_url_for, locale=locale)


def place_one_cash_order(locale: str) -> Order:
    """One box of dates in a new cart, placed as cash on delivery by the test shopper."""
    cart = _cart_of_one_product()
    order = place_cash_order(cart, carts.totals(cart), demo_customer(locale), locale=locale)
    if order is None:  # only when the cart changed under the form; this cart is nobody else's
        raise ScenarioFailed("the cart changed while the cash order was placed")
    return order


def _cart_of_one_product(cart: Cart | None = None) -> Cart:
    if cart is None:
        cart = Cart()
        db.session.add(cart)
        db.session.commit()
    product = db.session.scalar(sa.select(Product).where(Product.slug == PRODUCT))
    carts.add_product(cart, product, 1)
    return db.session.get(Cart, cart.id)
