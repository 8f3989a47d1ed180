"""Webhooks for one order arriving at the same moment, against the shop served over real HTTP.

points-decisions.md, "Concurrency": Points sends in parallel and retries overlap, so two events
for one order may be handled at once; each must see the other's result. Here threads released
together by a barrier POST them to a threaded server (SQLite file database with WAL, or the
PostgreSQL database named by DATABASE_URL), twenty times over, and each order's history must be one
the decisions allow, with every change applied exactly once.

Each event carries its own ``updated_at`` second: what is pinned here is the locking, not the
de-duplication of same-second events (tests/test_order_properties.py covers that).
"""

import itertools
import json
import threading
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from points_webhooks import SECRET, order_event, points_order

from storefront.extensions import db
from storefront.models import Order, OrderLine, OrderTransition, Product, WebhookReceipt

ROUNDS = 20
TOTAL = Decimal("104.00")  # one Sukkari Dates Box (79.00) + 25.00 shipping


class ServedShop:
    """The shop on a free loopback port over its own database, and a way to read that database."""

    def __init__(self, app, url):
        self.app = app
        self.endpoint = url + "/webhooks/points"
        self.count = 0

    def new_order(self, status="pending_payment") -> tuple[str, str]:
        """A fresh order as the checkout leaves it; returns (order_number, Points uuid)."""
        self.count += 1
        with self.app.app_context():
            product = db.session.scalar(sa.select(Product).where(Product.slug == "sukkari-dates"))
            order = Order(
                order_number=f"PTS-2026-{800000 + self.count:06d}",
                status=status,
                customer_name="Sara",
                phone="500000001",
                city="Riyadh",
                address_line="King Fahd Rd 1",
                subtotal=product.price,
                shipping_amount=Decimal("25.00"),
                total=product.price + 25,
            )
            order.lines.append(
                OrderLine(product_id=product.id, product_name=product.name, unit_price=product.price, quantity=1)
            )
            order.transitions.append(OrderTransition(from_status=None, to_status=status, source="checkout"))
            db.session.add(order)
            db.session.commit()
            assert order.total == TOTAL
            return order.order_number, f"0b8a3f4e-2222-4000-8000-{order.id:012d}"

    def history(self, order_number: str) -> tuple[Order, list[str], list[str]]:
        """The order, its statuses in order (checkout's first), and the outcome of each delivery."""
        with self.app.app_context():
            order = db.session.scalar(sa.select(Order).where(Order.order_number == order_number))
            transitions = db.session.scalars(
                sa.select(OrderTransition).where(OrderTransition.order_id == order.id).order_by(OrderTransition.id)
            ).all()
            assert all(a.to_status == b.from_status for a, b in itertools.pairwise(transitions)), [
                (t.from_status, t.to_status) for t in transitions
            ]
            outcomes = db.session.scalars(
                sa.select(WebhookReceipt.outcome).where(WebhookReceipt.order_id == order.id).order_by(WebhookReceipt.id)
            ).all()
            db.session.expunge(order)
            return order, [t.to_status for t in transitions], sorted(outcomes)

    def at_once(self, *payloads: dict) -> list[requests.Response]:
        """POST every payload from its own thread, all released at the same instant."""
        barrier = threading.Barrier(len(payloads))
        responses: list = [None] * len(payloads)

        def send(n, payload):
            body = json.dumps(payload)
            headers = {
                "Content-Type": "application/json",
                "X-Webhook-Event": payload["event"],
                "X-Webhook-Secret": SECRET,
            }
            with requests.Session() as session:
                barrier.wait(timeout=30)
                responses[n] = session.post(self.endpoint, data=body, headers=headers, timeout=60)

        threads = [threading.Thread(target=send, args=(n, p)) for n, p in enumerate(payloads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert [r.status_code for r in responses] == [200] * len(payloads), [r and r.text for r in responses]
        return responses


@pytest.fixture(scope="module")
def served_shop(served_app):
    return ServedShop(*served_app)


def webhook(event, order_number, uuid, second, **extra) -> dict:
    """A Points webhook in the documented shape (points_webhooks), stamped to the second."""
    stamp = f"2026-04-18T10:{5 + second // 60:02d}:{second % 60:02d}.000000Z"
    order_status = extra.pop("order_status", event)
    return order_event(
        event,
        points_order(
            order_number, uuid=uuid, order_status=order_status, total_price=float(TOTAL), updated_at=stamp, **extra
        ),
    )


def refund(order_number, uuid, second, left: Decimal, before: Decimal) -> dict:
    return webhook(
        "refunded",
        order_number,
        uuid,
        second,
        left_amount=float(left),
        refund_amount=float(before - left),
        order_status="fully_refunded" if left == 0 else "partially_refunded",
        reason="Returned",
    )


def test_approved_and_cancelled_at_once_never_both_apply(served_shop):
    for _ in range(ROUNDS):
        number, uuid = served_shop.new_order()
        served_shop.at_once(
            webhook("approved", number, uuid, 1), webhook("cancelled", number, uuid, 2, reason="checkout expired")
        )
        order, statuses, outcomes = served_shop.history(number)
        # Approved first: paid, and the cancel is late. Cancelled first: money moved after the
        # order was cancelled, so it goes to review ("Paid after we gave up"). Never both moves.
        assert statuses in (["pending_payment", "paid"], ["pending_payment", "cancelled", "needs_review"]), statuses
        assert outcomes in (["applied", "late"], ["applied", "paid_after_cancel"]), outcomes
        assert order.status == statuses[-1]


def test_authorized_and_captured_at_once_end_paid_never_stuck_authorized(served_shop):
    for _ in range(ROUNDS):
        number, uuid = served_shop.new_order()
        served_shop.at_once(webhook("authorized", number, uuid, 1), webhook("captured", number, uuid, 2))
        order, statuses, outcomes = served_shop.history(number)
        assert order.status == "paid"
        # Captured first: paid, and the authorization is late. Authorized first: one step each.
        assert (statuses, outcomes) in (
            (["pending_payment", "paid"], ["applied", "late"]),
            (["pending_payment", "authorized", "paid"], ["applied", "applied"]),
        ), statuses


def test_a_full_and_a_partial_refund_at_once_end_refunded(served_shop):
    for _ in range(ROUNDS):
        number, uuid = served_shop.new_order(status="paid")
        served_shop.at_once(
            refund(number, uuid, 1, left=Decimal("60.00"), before=TOTAL),
            refund(number, uuid, 2, left=Decimal("0.00"), before=Decimal("60.00")),
        )
        order, statuses, outcomes = served_shop.history(number)
        assert (order.status, order.refunded_amount) == ("refunded", TOTAL)
        # The full refund first: the partial one is late. The partial first: one step each.
        assert (statuses, outcomes) in (
            (["paid", "refunded"], ["applied", "late"]),
            (["paid", "partially_refunded", "refunded"], ["applied", "applied"]),
        ), statuses


def test_fifty_partial_refunds_at_once_each_count_once(served_shop):
    number, uuid = served_shop.new_order(status="paid")
    # Fifty refunds of 1.00, as Points numbers them: each leaves one riyal less than the one before.
    refunds = [refund(number, uuid, k, left=TOTAL - k, before=TOTAL - k + 1) for k in range(1, 51)]
    served_shop.at_once(*refunds)
    order, statuses, outcomes = served_shop.history(number)
    assert (order.status, order.refunded_amount) == ("partially_refunded", Decimal("50.00"))
    assert statuses == ["paid"] + ["partially_refunded"] * 50
    assert outcomes == ["applied"] * 50


def test_the_same_delivery_twice_at_once_is_applied_once(served_shop):
    for _ in range(ROUNDS):
        number, uuid = served_shop.new_order(status="paid")
        payload = refund(number, uuid, 1, left=Decimal("94.00"), before=TOTAL)
        served_shop.at_once(payload, payload)
        order, statuses, outcomes = served_shop.history(number)
        assert (order.status, order.refunded_amount) == ("partially_refunded", Decimal("10.00"))
        assert statuses == ["paid", "partially_refunded"]
        assert outcomes == ["applied", "duplicate"]
