"""An order whose shopper went to Points' checkout and about which Points never said a word.

The API has no lookup by order_number, so without a webhook the shop cannot learn the Points uuid
by itself. Such an order may be paid: it is never cancelled locally but put to staff, who look
it up in the Points dashboard (decisions: "No word from Points").

Live tests never open callback_url with what the sandbox appends: a shopper who closed the tab
never comes back, and the shop must work without the callback's parameters.
"""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from storefront.extensions import db
from storefront.models import Order
from storefront.orders import NO_WORD_FROM_POINTS
from storefront.reconciliation import NEVER_STARTED


def past_session_life(live, order_number: str) -> None:
    """Backdate the order as if the checkout session had lived its whole life."""
    with live.app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.order_number == order_number))
        order.created_at -= timedelta(minutes=45)
        if order.checkout_started_at is not None:
            order.checkout_started_at -= timedelta(minutes=45)
        db.session.commit()


def reconcile_command(live, older_than="0m") -> str:
    result = live.app.test_cli_runner().invoke(args=["reconcile", "--older-than", older_than])
    assert result.exit_code == 0, result.output
    return result.output


def paid_at_points_with_no_word(live):
    """Paid at Points, the approved webhook lost, the tab closed before the return page."""
    live.chaos(webhook_drop_next=1)
    checkout_url = live.start_checkout(live.shopper(), "leather-sandals", 1)
    order = live.latest_order()
    paid = live.complete(checkout_url, phone="500000002", points=0)
    live.drain_webhooks()
    assert live.order(order.order_number).status == "pending_payment"
    return order, checkout_url, paid["order_uuid"]


def test_a_paid_order_never_heard_of_goes_to_review_not_cancelled(live):
    order, _, uuid = paid_at_points_with_no_word(live)
    past_session_life(live, order.order_number)

    output = reconcile_command(live)

    after = live.order(order.order_number)
    assert (after.status, after.status_reason) == ("needs_review", "no word from Points"), output
    assert after.points_uuid is None
    assert live.points_api("GET", f"/v1/orders/{uuid}").json()["data"]["order_status"] == "approved"


def test_an_open_session_within_its_life_is_left_alone(live):
    live.start_checkout(live.shopper(), "rose-water", 1)
    order = live.latest_order()
    output = reconcile_command(live)
    assert f"{order.order_number}: no Points order known yet; nothing to ask." in output
    assert live.order(order.order_number).status == "pending_payment"


def test_an_order_whose_checkout_call_failed_is_cancelled_after_the_session_life(live):
    shopper = live.shopper()
    live.add_to_cart(shopper, "rose-water", 2)
    live.chaos(checkout_fail_status=500, checkout_fail_next=1)
    assert live.pay(shopper).status_code == 502  # Points gave no checkout_url: the shopper saw no checkout
    order = live.latest_order()
    assert order.checkout_url is None
    past_session_life(live, order.order_number)

    output = reconcile_command(live)

    assert f"{order.order_number}: checkout never started" in output
    after = live.order(order.order_number)
    assert (after.status, after.status_reason) == ("cancelled", NEVER_STARTED)


# --- Points' late word, through the webhook and the return page ------------------------------

UUID = "0b6f6c1e-0000-4000-8000-000000000007"
SECRET = "whsec_sandbox_demo"


def under_review_for_no_word(make_order, **fields):
    return make_order("needs_review", status_reason=NO_WORD_FROM_POINTS,
                      checkout_url="https://points.invalid/checkout/s1", **fields)


def webhook(client, order, event, **fields):
    body = {"event": event, "timestamp": "2026-11-26T10:00:00.000000Z", "order": {
        "id": UUID, "order_number": order.order_number, "order_status": event, "total_price": float(order.total),
        "updated_at": "2026-11-26T10:00:00.000000Z", **fields}}
    return client.post("/webhooks/points", json=body, headers={"X-Webhook-Secret": SECRET, "X-Webhook-Event": event})


def reload(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_a_late_approved_webhook_pays_an_order_under_review_for_no_word(client, make_order):
    order = under_review_for_no_word(make_order)
    assert webhook(client, order, "approved").status_code == 200
    paid = reload(order)
    assert (paid.status, paid.points_uuid, paid.status_reason) == ("paid", UUID, "Points says approved.")


def test_a_late_cancelled_webhook_cancels_an_order_under_review_for_no_word(client, make_order):
    order = under_review_for_no_word(make_order)
    webhook(client, order, "cancelled", reason="checkout expired")
    assert (reload(order).status, reload(order).status_reason) == ("cancelled", "checkout expired")


@pytest.mark.parametrize("reason", ["Amount mismatch: Points says 1.00 SAR, the order total is 104.00 SAR.",
                                    "Points reports the order approved after the shop cancelled it: refund it or fulfil it."])
def test_a_late_cancelled_webhook_does_not_close_a_review_where_money_moved(client, make_order, reason):
    order = make_order("needs_review", status_reason=reason, points_uuid=UUID)
    webhook(client, order, "cancelled")
    assert (reload(order).status, reload(order).status_reason) == ("needs_review", reason)


def test_a_shopper_returning_to_an_order_under_review_for_no_word_is_not_told_it_was_paid(client, make_order):
    order = under_review_for_no_word(make_order)
    page = client.get(f"/checkout/callback?order={order.token}").get_data(as_text=True)
    assert 'data-testid="payment-pending"' in page and "We received your payment" not in page
