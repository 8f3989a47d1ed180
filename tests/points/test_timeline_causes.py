"""The timeline knows what caused each status change: the webhook delivery, the call to Points whose
answer was applied, or the staff member who decided. It shows each change right after its cause,
whatever the clocks say."""

from datetime import timedelta

import sqlalchemy as sa
from points_webhooks import deliver, for_order

from storefront.extensions import db
from storefront.models import AdminUser, Order, PointsApiCall, WebhookReceipt

API = "http://points.invalid/api"
UUID = "0b6f6c1e-0000-4000-8000-000000000001"


def kinds_and_titles(staff_client, order):
    html = staff_client.get(f"/admin/orders/{order.order_number}").get_data(as_text=True)
    return [part.split('"', 1)[0] for part in html.split('class="tl-entry kind-')[1:]], html


def reloaded(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_a_change_made_by_a_webhook_names_its_delivery(app, client, make_order):
    order = make_order(points_uuid=UUID)
    assert deliver(client, for_order(order, "approved")).status_code == 200

    with app.app_context():
        change = reloaded(order).transitions[-1]
        receipt = db.session.scalar(sa.select(WebhookReceipt).where(WebhookReceipt.order_id == order.id))
        assert (change.to_status, change.webhook_receipt_id) == ("paid", receipt.id)
        assert change.api_call_id is None and change.staff_user_id is None


def test_a_webhook_that_changes_nothing_is_named_by_no_change(app, client, make_order):
    order = make_order("paid", points_uuid=UUID)
    assert deliver(client, for_order(order, "cancelled")).status_code == 200  # late: a paid order stays paid
    with app.app_context():
        assert [t.to_status for t in reloaded(order).transitions] == ["paid"]


def test_the_timeline_shows_each_change_right_after_its_cause_whatever_the_clocks_say(app, staff_client, make_order):
    order = make_order(points_uuid=UUID)
    assert deliver(staff_client, for_order(order, "approved")).status_code == 200
    with app.app_context():
        receipt = db.session.scalar(sa.select(WebhookReceipt).where(WebhookReceipt.order_id == order.id))
        change = reloaded(order).transitions[-1]
        # A clock that says the change came a minute before its delivery, and a later call in between.
        change.created_at = receipt.received_at - timedelta(minutes=1)
        db.session.add(
            PointsApiCall(
                order_id=order.id,
                method="GET",
                path=f"/v1/orders/{UUID}",
                response_status=200,
                created_at=receipt.received_at + timedelta(seconds=5),
            )
        )
        db.session.commit()

    kinds, html = kinds_and_titles(staff_client, order)
    assert kinds == ["transition", "webhook", "transition", "call"]
    assert html.index("approved") < html.index("pending payment → paid") < html.index(f"GET /v1/orders/{UUID}")


def test_a_change_applied_by_reconciliation_names_the_call_that_answered(app_context, make_order, requests_mock):
    from storefront.points import reconcile

    order = make_order(points_uuid=UUID)
    requests_mock.get(
        f"{API}/v1/orders/{UUID}",
        json={
            "status": True,
            "message": "",
            "appended_data": {},
            "data": {
                "id": 42,
                "uuid": UUID,
                "order_number": order.order_number,
                "order_status": "approved",
                "total_price": float(order.total),
                "created_at": "2026-04-18T10:00:00.000000Z",
                "updated_at": "2026-04-18T10:05:12.000000Z",
            },
        },
    )

    reconcile.reconcile_order(order)

    change = reloaded(order).transitions[-1]
    call = db.session.scalar(sa.select(PointsApiCall).where(PointsApiCall.order_id == order.id))
    assert (change.to_status, change.source, change.api_call_id) == ("paid", "reconciliation", call.id)


def test_a_change_staff_decided_names_the_staff_member(app, staff_client, make_order):
    order = make_order("needs_review", status_reason="Amount mismatch: Points says 1.00 SAR")
    page = staff_client.get(f"/admin/orders/{order.order_number}").get_data(as_text=True)
    assert "Accept and fulfil" in page
    response = staff_client.post(
        f"/admin/orders/{order.order_number}/accept", data={"note": "Customer confirmed the total by phone"}
    )
    assert response.status_code == 303

    with app.app_context():
        change = reloaded(order).transitions[-1]
        staff = db.session.scalar(sa.select(AdminUser).where(AdminUser.email == "staff@example.test"))
        assert (change.to_status, change.staff_user_id) == ("paid", staff.id)
    kinds, html = kinds_and_titles(staff_client, order)
    assert "by staff@example.test" in html
