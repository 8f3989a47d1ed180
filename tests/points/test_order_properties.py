"""Whatever order Points' webhooks arrive in, and however often, an order ends where
points-decisions.md says it ends, and every change is applied once.

Hypothesis picks the events one order receives (approved, authorized, captured, cancelled,
partial and full refunds, auto_refunded, shipping updates, completed), the order they arrive in,
which of them are delivered again (exact redeliveries, sometimes in a fresh envelope), and whether
they share one second of ``updated_at`` (Points stamps to the second). Each delivery goes through
the real endpoint with the secret header, on a fresh order.

The expected end is computed by :func:`expected_end`, written from the decisions alone (not from
storefront/orders.py):

- Delivery is at least once: a redelivery changes nothing, so only each event's *first arrival*
  counts, and the arrival order of first arrivals is what decides.
- A refund wins: any full refund (``left_amount`` 0, ``fully_refunded``) or ``auto_refunded``
  ends ``refunded`` with the whole total refunded; else any partial refund ends
  ``partially_refunded`` with ``total - min(left_amount)`` refunded (refunds are applied from the
  absolute ``left_amount``, so a repeated refund cannot count twice). "Refunded before approved is
  still applied as refunded."
- The machine only moves forward: a ``cancelled`` takes effect only if it arrives before any
  payment (``approved``/``captured``) and any refund; a late one never un-pays.
- Paid after we gave up: an ``approved``/``captured`` arriving after a cancel that took effect (and
  before any refund) sends the order to ``needs_review``; otherwise the first one pays it.
- ``authorized`` only reserves: it moves a pending order to ``authorized``, nothing else.
- ``completed`` changes nothing; ``shipping_status_updated`` sets the shipping status only (its
  ``status: cancelled`` is about the parcel, not the money).
"""

import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from points_webhooks import order_event, points_order

from storefront.extensions import db
from storefront.models import Order, OrderTransition
from storefront.points.client import SHIPPING_STATUSES  # the OpenAPI enum

SECRET = "whsec_sandbox_demo"
TOTAL = Decimal("104.00")  # make_order's default: one Sukkari Dates Box (79.00) + 25.00 shipping
INF = float("inf")


@dataclass(frozen=True)
class Event:
    """One thing Points tells the shop: an event name and what makes it distinct."""

    name: str
    left: Decimal | None = None  # refunds: the absolute amount left after this refund
    shipping: str | None = None  # shipping_status_updated: the parcel's status

    @property
    def is_full_refund(self) -> bool:
        return self.name == "auto_refunded" or (self.name == "refunded" and self.left == 0)

    @property
    def is_partial_refund(self) -> bool:
        return self.name == "refunded" and self.left != 0

    @property
    def is_refund(self) -> bool:
        return self.name in ("refunded", "auto_refunded")

    @property
    def is_payment(self) -> bool:
        return self.name in ("approved", "captured")


@dataclass
class Scenario:
    events: list[Event]  # distinct events, in the order Points made them (refunds by falling left)
    arrivals: list[int]  # indexes into events, in arrival order; an index seen again is a redelivery
    seconds: list[int]  # per event, the second of updated_at (0 for all = everything in one second)
    fresh_envelope: bool  # a redelivery carries a newer envelope timestamp (the order object is the same)


@st.composite
def scenarios(draw) -> Scenario:
    events = [
        Event(name) for name in ("approved", "authorized", "captured", "cancelled", "completed") if draw(st.booleans())
    ]
    if draw(st.booleans()):  # refunds half the time, so the cases without one are explored as well
        cents = draw(st.lists(st.integers(1, int(TOTAL * 100) - 1), unique=True, max_size=3))
        lefts = sorted((Decimal(c) / 100 for c in cents), reverse=True)
        events += [Event("refunded", left=left) for left in lefts]
        if draw(st.booleans()):
            events.append(Event("refunded", left=Decimal("0.00")))
        if draw(st.booleans()):
            events.append(Event("auto_refunded"))
    events += [
        Event("shipping_status_updated", shipping=s)
        for s in draw(st.lists(st.sampled_from(SHIPPING_STATUSES), unique=True, max_size=2))
    ]
    arrivals = draw(st.permutations(range(len(events))))
    if events:
        for again in draw(st.lists(st.integers(0, len(events) - 1), max_size=len(events) + 2)):
            arrivals.insert(draw(st.integers(0, len(arrivals))), again)
    seconds = draw(st.lists(st.integers(0, 2), min_size=len(events), max_size=len(events)))
    return Scenario(events, arrivals, seconds, draw(st.booleans()))


# --- The oracle, from points-decisions.md ---------------------------------------------------------


@dataclass
class End:
    status: str
    refunded_amount: Decimal
    shipping_status: str | None
    transitions: dict = field(default_factory=dict)  # to_status -> how many times


def expected_end(events: list[Event], arrivals: list[int]) -> End:
    first_arrivals = list(dict.fromkeys(arrivals))  # redeliveries change nothing
    order = [events[i] for i in first_arrivals]

    def first(test) -> float:
        return next((n for n, e in enumerate(order) if test(e)), INF)

    pay, refund, full = first(lambda e: e.is_payment), first(lambda e: e.is_refund), first(lambda e: e.is_full_refund)
    cancel, authorize = first(lambda e: e.name == "cancelled"), first(lambda e: e.name == "authorized")
    partials = [e for e in order if e.is_partial_refund]

    cancel_applied = cancel < min(pay, refund)
    transitions = {
        "authorized": int(authorize < min(pay, refund, cancel)),
        "cancelled": int(cancel_applied),
        "paid": int(pay < min(refund, cancel)),
        "needs_review": int(cancel_applied and pay < refund),
        "partially_refunded": sum(1 for n, e in enumerate(order) if e.is_partial_refund and n < full),
        "refunded": int(full < INF),
    }
    if full < INF:
        status, refunded = "refunded", TOTAL
    elif partials:
        status, refunded = "partially_refunded", TOTAL - min(e.left for e in partials)
    elif cancel_applied and pay < INF:
        status, refunded = "needs_review", Decimal("0.00")
    elif pay < INF:
        status, refunded = "paid", Decimal("0.00")
    elif cancel < INF:
        status, refunded = "cancelled", Decimal("0.00")
    elif authorize < INF:
        status, refunded = "authorized", Decimal("0.00")
    else:
        status, refunded = "pending_payment", Decimal("0.00")
    shipped = [e.shipping for e in order if e.name == "shipping_status_updated"]
    return End(status, refunded, shipped[-1] if shipped else None, {k: v for k, v in transitions.items() if v})


# --- Payloads as Points sends them (reference §5.4/§5.5) -----------------------------------------


def stamp(second: int) -> str:
    return f"2026-04-18T10:05:{12 + second:02d}.000000Z"


def payload(order: Order, uuid: str, event: Event, events: list[Event], second: int) -> dict:
    """The webhook for ``event``: the order resource plus the event's extra fields."""
    status = {"completed": "approved", "shipping_status_updated": "approved"}.get(event.name, event.name)
    extra: dict = {}
    if event.name == "cancelled":
        extra["reason"] = "checkout expired"
    elif event.name == "shipping_status_updated":
        extra.update(status=event.shipping, status_label=event.shipping.replace("_", " ").capitalize())
    elif event.is_refund:
        # What was left before this refund: the previous refund's left_amount, or the whole total.
        before = min(
            (e.left for e in events if e.name == "refunded" and e.left is not None and e.left > (event.left or 0)),
            default=TOTAL,
        )
        left = event.left if event.left is not None else Decimal("0.00")
        status = "fully_refunded" if event.is_full_refund else "partially_refunded"
        extra.update(refund_amount=float(before - left), refund_points=0, reason="One line item returned")
        if event.name == "refunded":
            extra.update(left_amount=float(left), left_points=0)
        else:
            extra["reason"] = "auto_refund_missing_transaction"
    return order_event(
        event.name,
        points_order(
            order.order_number,
            uuid=uuid,
            order_status=status,
            total_price=float(TOTAL),
            updated_at=stamp(second),
            reference_number=f"REF-2026-{order.id:06d}",
            **extra,
        ),
    )


# --- The property -------------------------------------------------------------------------------


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
# The cases the decisions name, always tried (0 = the first event listed, and so on).
@example(Scenario([Event("approved"), Event("cancelled")], [0, 1, 0], [0, 0], False))  # a late cancel
@example(Scenario([Event("cancelled"), Event("captured")], [0, 1, 1], [0, 0], True))  # paid after we gave up
@example(Scenario([Event("cancelled"), Event("authorized")], [0, 1], [0, 0], False))  # a reservation after the cancel
@example(
    Scenario([Event("approved"), Event("refunded", left=Decimal("0.00"))], [1, 0], [0, 0], False)
)  # refunded first
@example(
    Scenario(
        [
            Event("authorized"),
            Event("captured"),
            Event("refunded", left=Decimal("60.00")),
            Event("refunded", left=Decimal("30.00")),
        ],
        [3, 2, 3, 1, 0, 2],
        [0, 0, 0, 0],
        False,
    )
)  # one second
@example(
    Scenario(
        [Event("cancelled"), Event("refunded", left=Decimal("4.00")), Event("approved")], [0, 1, 2], [0, 1, 2], False
    )
)  # a refund on a cancelled order, then its payment
def test_any_arrival_order_with_redeliveries_ends_where_the_decisions_say(app, client, make_order, scenario):
    order = make_order()  # a fresh pending order per example, 104.00
    assert order.total == TOTAL
    uuid = f"0b8a3f4e-0000-4000-8000-{order.id:012d}"
    events, seen = scenario.events, set()
    for n, i in enumerate(scenario.arrivals):
        body = payload(order, uuid, events[i], events, scenario.seconds[i])
        redelivery = i in seen
        if redelivery and scenario.fresh_envelope:
            body["timestamp"] = f"2026-04-18T10:{10 + n // 60:02d}:{n % 60:02d}.000000Z"
        seen.add(i)
        response = client.post(
            "/webhooks/points",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "X-Webhook-Secret": SECRET, "X-Webhook-Event": events[i].name},
        )
        assert response.status_code == 200, (events[i], response.get_json())
        # A redelivery is a duplicate; a distinct event never is, even within the same second.
        assert (response.get_json()["outcome"] == "duplicate") == redelivery, (events[i], response.get_json())

    expected = expected_end(events, scenario.arrivals)
    with app.app_context():
        got = db.session.get(Order, order.id)
        history = db.session.scalars(
            sa.select(OrderTransition).where(OrderTransition.order_id == order.id).order_by(OrderTransition.id)
        ).all()
    counted = dict(Counter(t.to_status for t in history[1:]))  # [0] is the checkout's pending_payment
    trail = [(t.from_status, t.to_status) for t in history]

    assert got.status == expected.status, trail
    assert got.refunded_amount == expected.refunded_amount, trail
    assert got.shipping_status == expected.shipping_status
    assert counted == expected.transitions, trail
    # One consistent history: each move starts where the one before ended, and it ends where the order is.
    assert all(a.to_status == b.from_status for a, b in itertools.pairwise(history)), trail
    assert history[-1].to_status == got.status
