"""The presenter's one-click scenarios (demo mode only): each makes a real order and plays it out.

Each scenario fills a cart of its own with one product, starts the checkout exactly as Pay does
(:func:`~storefront.points.checkout.start_checkout`), then plays the shopper and Points' own
doings through the embedded sandbox's control endpoints, over HTTP like everything the shop asks
of Points (``/points-sandbox/_control/...``: complete a session, chaos switches, the trigger).
What the shop then does is its own code, untouched: the webhook, reconciliation, staff actions.
"""

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Optional

import requests
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from . import carts
from .demo import sandbox_api_url
from .extensions import db
from .models import Cart, Order, Product
from .points import orders, staff
from .points.checkout import Customer, start_checkout

PRODUCT = "sukkari-dates"  # 79 SAR + 25 shipping: less than the test shopper's 5,000 points (150 SAR)
RICH_SHOPPER = "500000001"  # 5,000 points
PAYING_CARD, DECLINED_CARD = "4111111111111111", "4000000000000002"
CONTROL_TIMEOUT = 15  # seconds; waiting for the outbox to drain is bounded by the sandbox itself

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
    play: Optional[Callable]  # (order, sandbox) -> None; None: not available in this build
    shop_page: str = "order"  # what the shopper's pane shows after: "order", "checkout" (hosted page)
    unavailable: object = None


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
    sandbox.chaos(webhook_drop_next=1)
    answer = sandbox.complete(order)
    sandbox.drain()
    sandbox.chaos(webhook_drop_next=0)  # nothing else is lost if the flow sent fewer than planned
    _note_uuid_hint(order, answer)


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
                "Points paid but its webhook never arrived: the order waits. Reconcile asks Points "
                "(GET /v1/orders/{uuid}) and pays it, marked as reconciliation."
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
            None,
            None,
            unavailable=_l("Not in this build yet: cash on delivery is being added."),
        ),
    )
}


def run(name: str, locale: str, callback_url_for: Callable[[Order], str]) -> Order:
    """Play one scenario on a new order of a cart of its own; returns that order.

    The test shoppers' balances are put back first, so every run starts from 5,000 points.
    """
    scenario = SCENARIOS[name]
    if scenario.play is None:
        raise ScenarioFailed(f"{name} is not available")
    sandbox = Sandbox()
    sandbox.reset_balances()
    order = checkout_one_product(locale, callback_url_for)
    scenario.play(order, sandbox)
    return order


def checkout_one_product(locale: str, callback_url_for: Callable[[Order], str], cart: Cart | None = None) -> Order:
    """One box of dates in ``cart`` (a new one by default), checked out as the test shopper."""
    if cart is None:
        cart = Cart()
        db.session.add(cart)
        db.session.commit()
    product = db.session.scalar(sa.select(Product).where(Product.slug == PRODUCT))
    carts.add_product(cart, product, 1)
    cart = db.session.get(Cart, cart.id)
    return start_checkout(cart, carts.totals(cart), demo_customer(locale), callback_url_for, locale=locale)
