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


@pytest.mark.parametrize(
    "concurrent",
    [
        # another partial refund of 50 SAR committed first: the status stays partially_refunded
        {"refunded_amount": Decimal("60"), "order_status": "partially_refunded"},
        # a shipping update committed first: same status, newer row
        {"shipping_status": "ready_shipping"},
    ],
)
def test_a_refund_on_a_row_changed_meanwhile_is_refused(sandbox_app, sandbox_client, sandbox_checkout, concurrent):
    _, uuid = sandbox_checkout()
    sandbox_client.post(f"/api/v1/orders/{uuid}/complete", headers=AUTH)
    assert sandbox_client.post(f"/api/v1/orders/{uuid}/refund", json={"amount": 10}, headers=AUTH).status_code == 200
    with sandbox_app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.uuid == uuid))
        assert order.order_status == "partially_refunded" and order.refunded_amount == 10
        # Another thread's change: it bumps the row's version (updated_at may not move within a second).
        meanwhile(sa.update(Order).values(**concurrent, version=Order.version + 1))
        with pytest.raises(orders.IllegalMove, match="changed meanwhile"):
            orders.refund(order, Decimal("50"), None)
    with sandbox_app.app_context():
        row = db.session.scalar(sa.select(Order))
        assert row.refunded_amount == concurrent.get("refunded_amount", 10)
    assert refunded_events(sandbox_app) == 1  # only the first refund's


# --- Balances: changed in SQL, never written back from an earlier read -------------------------


def balance_of(app, phone="500000001"):
    with app.app_context():
        return db.session.scalar(sa.select(Shopper.balance).where(Shopper.phone == phone))


def _redeemed_1000_points(sandbox_checkout, sandbox_shopper, confirm=True):
    """224 SAR, 30 SAR of it (1,000 points) redeemed; at the pay step (or the confirm dialog)."""
    session_id, uuid = sandbox_checkout(total_price=224, products=None, shipping_amount=None)
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    shopper.post("redeem", mode="partial", amount="30")
    if confirm:
        shopper.post("confirm")
        assert shopper.has("pay-button")
    return session_id, uuid, shopper


def _cancel(cs):
    orders.cancel(cs.order, "Order cancelled via API")


def _settle(cs):
    orders.settle(cs.order, Decimal("194"))


def _refund(cs):
    orders.refund(cs.order, None, None)


def _confirm(cs):
    checkout.confirm(cs)


@pytest.mark.parametrize(
    "act, at, expected",
    [
        (_cancel, "pay", 4000 + 1000 + 1000),  # the 1,000 redeemed points come back
        (_settle, "pay", 4000 + 1000 + 194),  # 1 point per SAR paid by card
        (_refund, "done", 4194 + 1000 + 1000 - 194),  # redeemed back, earned reversed
        (_confirm, "confirm", 5000 + 1000 - 1000),
    ],
)
def test_a_balance_change_made_meanwhile_is_not_lost(sandbox_app, sandbox_checkout, sandbox_shopper, act, at, expected):
    session_id, _, shopper = _redeemed_1000_points(sandbox_checkout, sandbox_shopper, confirm=at != "confirm")
    if at == "done":
        shopper.post("pay", card_number="4111111111111111")
        assert shopper.has("done-title")
    with sandbox_app.app_context():
        cs = db.session.get(CheckoutSession, session_id)
        assert cs.order.shopper.balance == balance_of(sandbox_app)  # this thread has read the balance
        # another thread (e.g. the sweep giving back another order's points) adds 1,000 meanwhile
        meanwhile(sa.update(Shopper).where(Shopper.phone == "500000001").values(balance=Shopper.balance + 1000))
        act(cs)
    assert balance_of(sandbox_app) == expected


def test_points_spent_meanwhile_cannot_be_spent_twice(sandbox_app, sandbox_checkout, sandbox_shopper):
    session_id, _, shopper = _redeemed_1000_points(sandbox_checkout, sandbox_shopper, confirm=False)
    with sandbox_app.app_context():
        cs = db.session.get(CheckoutSession, session_id)
        assert cs.order.shopper.balance == 5000
        meanwhile(sa.update(Shopper).where(Shopper.phone == "500000001").values(balance=Shopper.balance - 4500))
        with pytest.raises(checkout.CheckoutError) as raised:
            checkout.confirm(cs)
        assert raised.value.key == "not_enough_points" and raised.value.params == {"balance": 500}
        db.session.rollback()
    assert balance_of(sandbox_app) == 500
    shopper.open()
    assert shopper.has("confirm-dialog")  # still choosing; nothing was taken


# --- Expiry: the session and its order change together ----------------------------------------


def _stale(app, session_id):
    with app.app_context():
        db.session.get(CheckoutSession, session_id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


def _state(app, session_id):
    with app.app_context():
        cs = db.session.get(CheckoutSession, session_id)
        return cs.state, cs.order.order_status, cs.order.cancel_reason


def _cancelled_events(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Delivery.id)).where(Delivery.event == "cancelled"))


def test_a_crash_while_cancelling_an_expired_checkout_leaves_it_for_the_next_sweep(
    sandbox_app, sandbox_checkout, monkeypatch
):
    session_id, _ = sandbox_checkout()
    _stale(sandbox_app, session_id)
    real_cancel = orders.cancel

    def crash(order, reason):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(orders, "cancel", crash)
    with sandbox_app.app_context():
        with pytest.raises(RuntimeError):
            checkout.expire_stale_sessions()
        db.session.rollback()
    assert _state(sandbox_app, session_id)[:2] == ("open", "new")  # nothing half-done
    monkeypatch.setattr(orders, "cancel", real_cancel)
    with sandbox_app.app_context():
        checkout.expire_stale_sessions()
        checkout.expire_stale_sessions()
    assert _state(sandbox_app, session_id) == ("expired", "cancelled", "checkout expired")
    assert _cancelled_events(sandbox_app) == 1


@pytest.mark.parametrize("order_status", ["new", "authorized"])
def test_the_sweep_cancels_an_expired_session_whose_order_was_left_live(sandbox_app, sandbox_checkout, order_status):
    session_id, _ = sandbox_checkout()
    with sandbox_app.app_context():
        meanwhile(
            sa.update(CheckoutSession).values(state="expired"), sa.update(Order).values(order_status=order_status)
        )
        checkout.expire_stale_sessions()
    assert _state(sandbox_app, session_id) == ("expired", "cancelled", "checkout expired")
    assert _cancelled_events(sandbox_app) == 1
