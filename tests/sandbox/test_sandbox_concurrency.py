"""Two writers on one order or one shopper (a request and the worker's expiry sweep, two
merchant calls): each test lets "another thread" commit through its own connection between
this thread's read and its write, so the race is deterministic."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from points_sandbox import checkout, orders
from points_sandbox.extensions import db
from points_sandbox.models import CheckoutSession, Delivery, Order, Shopper, utcnow

from .conftest import SK

AUTH = {"x-api-key": SK}


def meanwhile(*statements):
    """Commit `statements` from another connection, as a concurrent thread would."""
    with db.engine.begin() as other:
        for statement in statements:
            other.execute(statement)


def refunded_events(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Delivery.id)).where(Delivery.event == "refunded"))


@pytest.mark.parametrize("concurrent", [
    # another partial refund of 50 SAR committed first: the status stays partially_refunded
    {"refunded_amount": Decimal("60"), "order_status": "partially_refunded"},
    # a shipping update committed first: same status, newer row
    {"shipping_status": "ready_shipping"},
])
def test_a_refund_on_a_row_changed_meanwhile_is_refused(sandbox_app, sandbox_client, sandbox_checkout, concurrent):
    _, uuid = sandbox_checkout()
    sandbox_client.post(f"/api/v1/orders/{uuid}/complete", headers=AUTH)
    assert sandbox_client.post(f"/api/v1/orders/{uuid}/refund", json={"amount": 10}, headers=AUTH).status_code == 200
    with sandbox_app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.uuid == uuid))
        assert order.order_status == "partially_refunded" and order.refunded_amount == 10
        meanwhile(sa.update(Order).values(**concurrent, updated_at=utcnow() + timedelta(seconds=1)))
        with pytest.raises(orders.IllegalMove, match="changed meanwhile"):
            orders.refund(order, Decimal("50"), None)
    with sandbox_app.app_context():
        row = db.session.scalar(sa.select(Order))
        assert row.refunded_amount == concurrent.get("refunded_amount", 10)
    assert refunded_events(sandbox_app) == 1  # only the first refund's
