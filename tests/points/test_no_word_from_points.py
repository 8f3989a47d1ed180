"""An order whose shopper went to Points' checkout and about which Points never said a word.

The API has no lookup by order_number, so without a webhook the shop cannot learn the Points uuid
by itself. Such an order may be paid: it is never cancelled locally but put to staff, who look
it up in the Points dashboard (decisions: "No word from Points").

Live tests never open callback_url with what the sandbox appends: a shopper who closed the tab
never comes back, and the shop must work without the callback's parameters.
"""

import uuid as uuidlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from staff_pages import act, field_errors, flash, log_in, order_page, rendered_form, submit

from storefront.extensions import db
from storefront.models import Order, OrderTransition, PointsApiCall
from storefront.points import orders
from storefront.points import staff as staff_actions
from storefront.points.orders import NEVER_STARTED, NO_WORD_FROM_POINTS
from storefront.points.reconcile import reconcile_order


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


def no_word_order(live):
    """Paid at Points, no word reached the shop, and reconciliation put it to review."""
    order, checkout_url, uuid = paid_at_points_with_no_word(live)
    past_session_life(live, order.order_number)
    with live.app.app_context():
        reconcile_order(db.session.scalar(sa.select(Order).where(Order.order_number == order.order_number)))
    assert live.order(order.order_number).status == "needs_review"
    return order, uuid


def transitions(live, order):
    with live.app.app_context():
        return [
            (t.from_status, t.to_status, t.source, t.reason)
            for t in db.session.scalars(
                sa.select(OrderTransition).where(OrderTransition.order_id == order.id).order_by(OrderTransition.id)
            )
        ]


def snapshot(live, order):
    o = live.order(order.order_number)
    return (o.status, o.status_reason, o.points_uuid, o.points_order_status, len(transitions(live, order)))


@pytest.fixture
def staff(live):
    return log_in(live)


def test_an_open_session_within_its_life_is_left_alone(live):
    live.start_checkout(live.shopper(), "rose-water", 1)
    order = live.latest_order()
    output = reconcile_command(live)
    assert f"{order.order_number}: no Points order known yet; nothing to ask." in output
    assert live.order(order.order_number).status == "pending_payment"


def test_an_order_whose_checkout_call_failed_is_cancelled_after_the_session_life(live):
    shopper = live.shopper()
    live.add_to_cart(shopper, "rose-water", 2)
    live.chaos(checkout_fail_status=429, checkout_fail_next=1)
    assert live.pay(shopper).status_code == 502  # Points refused: the shopper saw no checkout
    order = live.latest_order()
    assert order.checkout_url is None
    past_session_life(live, order.order_number)

    output = reconcile_command(live)

    assert f"{order.order_number}: checkout never started" in output
    after = live.order(order.order_number)
    assert (after.status, after.status_reason) == ("cancelled", NEVER_STARTED)


def test_staff_enter_the_uuid_from_the_points_dashboard_and_the_order_is_paid(live, staff):
    order, uuid = no_word_order(live)
    page = order_page(live, staff, order)
    assert "No word from Points" in page and "Enter the Points uuid" in page and "Close as unpaid" in page
    assert "Accept and fulfil" not in page and "Request refund" not in page  # no money known to have moved

    page = act(live, staff, order, "points-uuid", points_uuid=f"  {uuid.upper()} ")  # as pasted

    assert "Points says approved; applied" in flash(page)
    paid = live.order(order.order_number)
    assert (paid.status, paid.points_uuid, paid.points_order_status) == ("paid", uuid, "approved")
    assert transitions(live, order)[-1][:3] == ("needs_review", "paid", "reconciliation")
    assert f"GET /v1/orders/{uuid}" in page  # the question asked is on the timeline
    assert "No word from Points" not in page and "Update shipping" in page


def test_a_uuid_that_is_not_a_uuid_is_a_field_error_and_changes_nothing(live, staff):
    order, _ = no_word_order(live)
    before = snapshot(live, order)

    page = act(live, staff, order, "points-uuid", points_uuid="PTS-2026-000001/../refund")

    assert "That is not a Points order uuid" in " ".join(field_errors(page))
    assert 'value="PTS-2026-000001/../refund"' in page  # what staff typed is kept for them to correct
    assert snapshot(live, order) == before
    assert calls(live, order, "GET") == []


def test_the_uuid_of_another_order_is_refused_and_changes_nothing(live, staff):
    order, _ = no_word_order(live)
    other, _, other_uuid = paid_at_points_with_no_word(live)
    before = snapshot(live, order)

    page = act(live, staff, order, "points-uuid", points_uuid=other_uuid)

    assert (
        f"Points order {other_uuid} belongs to {other.order_number}, not to {order.order_number}: nothing changed."
    ) in flash(page)
    assert snapshot(live, order) == before
    assert live.order(other.order_number).status == "pending_payment"
    assert [c.response_status for c in calls(live, order, "GET")] == [200]  # the question, on the timeline


def test_a_uuid_points_does_not_know_is_refused_and_changes_nothing(live, staff):
    order, _ = no_word_order(live)
    before = snapshot(live, order)
    page = act(live, staff, order, "points-uuid", points_uuid="9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d")
    assert "Points does not know the order 9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d" in flash(page)
    assert snapshot(live, order) == before


def test_staff_close_an_order_not_in_the_points_dashboard_as_unpaid(live, staff):
    order, _ = no_word_order(live)
    assert "Say why it is unpaid." in field_errors(act(live, staff, order, "close-unpaid", reason=" "))
    assert live.order(order.order_number).status == "needs_review"

    page = act(live, staff, order, "close-unpaid", reason="Not in the Points dashboard")

    assert f"{order.order_number} is closed as unpaid (cancelled)." in flash(page)
    closed = live.order(order.order_number)
    assert (closed.status, closed.status_reason) == (
        "cancelled",
        "Closed as unpaid after review: Not in the Points dashboard",
    )
    assert transitions(live, order)[-1][:3] == ("needs_review", "cancelled", "admin")


def test_a_second_tab_entering_the_uuid_again_is_told_and_changes_nothing(live, staff):
    order, uuid = no_word_order(live)
    stale_tab = rendered_form(order_page(live, staff, order), "points-uuid")
    act(live, staff, order, "points-uuid", points_uuid=uuid)
    before = snapshot(live, order)

    page = submit(live, staff, order, "points-uuid", {**stale_tab, "points_uuid": uuid})

    assert "a Points uuid is entered only for an order Points never said a word about" in flash(page)
    assert snapshot(live, order) == before


def calls(live, order, method):
    with live.app.app_context():
        return db.session.scalars(
            sa.select(PointsApiCall)
            .where(PointsApiCall.order_id == order.id, PointsApiCall.method == method)
            .order_by(PointsApiCall.id)
        ).all()


# --- The state machine and the staff actions, Points simulated (requests-mock) -----------------

API = "http://points.invalid/api"
UUID = "0b6f6c1e-0000-4000-8000-000000000007"
SECRET = "whsec_sandbox_demo"


def under_review_for_no_word(make_order, **fields):
    return make_order(
        "needs_review", status_reason=NO_WORD_FROM_POINTS, checkout_url="https://points.invalid/checkout/s1", **fields
    )


def points_says(order, **fields):
    return {
        "status": True,
        "message": "",
        "appended_data": {},
        "data": {
            "id": 7,
            "uuid": UUID,
            "order_number": order.order_number,
            "reference_number": "REF-7",
            "order_status": "approved",
            "total_price": float(order.total),
            **fields,
        },
    }


def webhook(client, order, event, **fields):
    body = {
        "event": event,
        "timestamp": "2026-11-26T10:00:00.000000Z",
        "order": {
            "id": UUID,
            "order_number": order.order_number,
            "order_status": event,
            "total_price": float(order.total),
            "updated_at": "2026-11-26T10:00:00.000000Z",
            **fields,
        },
    }
    return client.post("/webhooks/points", json=body, headers={"X-Webhook-Secret": SECRET, "X-Webhook-Event": event})


def test_a_late_approved_webhook_pays_an_order_under_review_for_no_word(client, make_order, reload):
    order = under_review_for_no_word(make_order)
    assert webhook(client, order, "approved").status_code == 200
    paid = reload(order)
    assert (paid.status, paid.points_uuid, paid.status_reason) == ("paid", UUID, "Points says approved.")


def test_a_late_cancelled_webhook_cancels_an_order_under_review_for_no_word(client, make_order, reload):
    order = under_review_for_no_word(make_order)
    webhook(client, order, "cancelled", reason="checkout expired")
    assert (reload(order).status, reload(order).status_reason) == ("cancelled", "checkout expired")


@pytest.mark.parametrize(
    "reason",
    [
        "Amount mismatch: Points says 1.00 SAR, the order total is 104.00 SAR.",
        "Points reports the order approved after the shop cancelled it: refund it or fulfil it.",
    ],
)
def test_a_late_cancelled_webhook_does_not_close_a_review_where_money_moved(client, make_order, reload, reason):
    order = make_order("needs_review", status_reason=reason, points_uuid=UUID)
    webhook(client, order, "cancelled")
    assert (reload(order).status, reload(order).status_reason) == ("needs_review", reason)


def test_an_entered_uuid_whose_amount_differs_becomes_an_amount_review(app_context, make_order, requests_mock, reload):
    order = under_review_for_no_word(make_order)
    requests_mock.get(f"{API}/v1/orders/{UUID}", json=points_says(order, total_price=1.0))

    assert "amount_mismatch" in staff_actions.settle_with_points_uuid(order, UUID)

    order = reload(order)
    assert (order.status, order.points_uuid) == ("needs_review", UUID)
    assert order.status_reason.startswith("Amount mismatch: Points says 1.00 SAR")
    assert not orders.no_word_from_points(order)  # money moved: accept or refund now, not close as unpaid
    with pytest.raises(staff_actions.ActionError, match="only an order Points never said a word about is closed"):
        staff_actions.close_as_unpaid(order, "gone")


def test_an_entered_uuid_points_still_has_as_new_keeps_the_review_and_can_be_reconciled_later(
    app_context, make_order, requests_mock, reload
):
    order = under_review_for_no_word(make_order)
    requests_mock.get(f"{API}/v1/orders/{UUID}", json=points_says(order, order_status="new"))
    assert "Points says new; ignored" in staff_actions.settle_with_points_uuid(order, UUID)
    order = reload(order)
    assert (order.status, order.points_uuid) == ("needs_review", UUID) and orders.no_word_from_points(order)
    assert staff_actions.can_reconcile(order)


def test_the_entered_uuid_is_checked_before_any_call(app_context, make_order, requests_mock):
    order = under_review_for_no_word(make_order)
    with pytest.raises(staff_actions.ActionError, match="not a Points order uuid"):
        staff_actions.settle_with_points_uuid(order, "../../v1/webhooks")
    assert requests_mock.call_count == 0


def test_an_order_under_review_for_no_word_cannot_be_accepted_or_refunded(
    app_context, make_order, requests_mock, reload
):
    order = under_review_for_no_word(make_order)
    with pytest.raises(staff_actions.ActionError, match="Points never said .* was paid, so it cannot be accepted"):
        staff_actions.accept_after_review(order, "looks fine")
    with pytest.raises(staff_actions.ActionError, match="Points never said .* was paid: enter its Points uuid first"):
        staff_actions.refund_order(order, None, "r", submission_key=str(uuidlib.uuid4()))
    assert reload(order).status == "needs_review" and requests_mock.call_count == 0


@pytest.mark.parametrize("status", ["pending_payment", "paid", "cancelled"])
def test_only_an_order_under_review_for_no_word_takes_a_uuid_or_is_closed_as_unpaid(
    app_context, make_order, requests_mock, reload, status
):
    order = make_order(status)
    with pytest.raises(staff_actions.ActionError, match="entered only for an order Points never said a word about"):
        staff_actions.settle_with_points_uuid(order, UUID)
    with pytest.raises(staff_actions.ActionError, match="closed as unpaid"):
        staff_actions.close_as_unpaid(order, "gone")
    assert reload(order).status == status and requests_mock.call_count == 0


def test_a_shopper_returning_to_an_order_under_review_for_no_word_is_not_told_it_was_paid(client, make_order):
    order = under_review_for_no_word(make_order)
    page = client.get(f"/checkout/callback?order={order.token}").get_data(as_text=True)
    assert 'data-testid="payment-pending"' in page and "We received your payment" not in page
