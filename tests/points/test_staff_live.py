"""The back office against the embedded Points sandbox over real HTTP: staff log in with CSRF,
act through the Points API, and the order changes when the sandbox's webhook lands."""

import json
import threading
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from points_callback import with_uuid_hint
from staff_pages import DEMO_EMAIL, DEMO_PASSWORD, act, flash, log_in, order_page, rendered_form, submit

from storefront.extensions import db
from storefront.models import OrderTransition, PointsApiCall, WebhookReceipt


@pytest.fixture
def staff(live):
    return log_in(live)


def paid_order(live, slug="sukkari-dates", quantity=1):
    shopper = live.shopper()
    checkout_url = live.start_checkout(shopper, slug, quantity)
    order = live.latest_order()
    live.complete(checkout_url, phone="500000002", points=0)  # all by card
    return live.wait_for_status(order.order_number, "paid")


def calls(live, order, path_end=""):
    with live.app.app_context():
        return db.session.scalars(
            sa.select(PointsApiCall)
            .where(PointsApiCall.order_id == order.id, PointsApiCall.path.endswith(path_end))
            .order_by(PointsApiCall.id)
        ).all()


def receipts(live, order, event):
    with live.app.app_context():
        return db.session.scalars(
            sa.select(WebhookReceipt).where(WebhookReceipt.order_id == order.id, WebhookReceipt.event == event)
        ).all()


def remote(live, order):
    response = live.points_api("GET", f"/v1/orders/{order.points_uuid}")
    assert response.status_code == 200, response.text
    return response.json()["data"]


# --- Login ---------------------------------------------------------------------------------------


def test_the_login_page_shows_the_demo_account_and_needs_csrf(live):
    session = requests.Session()
    page = session.get(f"{live.url}/admin/login").text
    assert DEMO_EMAIL in page and DEMO_PASSWORD in page
    response = session.post(
        f"{live.url}/admin/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, allow_redirects=False
    )
    assert response.status_code == 400
    assert session.get(f"{live.url}/admin/orders", allow_redirects=False).status_code == 302


def test_a_shopper_with_a_cart_is_sent_to_the_login(live):
    shopper = live.shopper()
    live.add_to_cart(shopper, "sukkari-dates")
    response = shopper.get(f"{live.url}/admin/orders", allow_redirects=False)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


# --- Shipping ------------------------------------------------------------------------------------


def test_staff_set_the_shipping_status_and_points_webhook_follows(live, staff):
    order = paid_order(live)
    page = act(
        live,
        staff,
        order,
        "shipping",
        status="delivery_is_in_progress",
        name_en="Out for delivery",
        name_ar="خرج للتوصيل",
    )
    assert "is now out for delivery (Out for delivery)" in flash(page)
    assert live.order(order.order_number).shipping_status == "delivery_is_in_progress"
    assert remote(live, order)["custom_status"] == {"ar": "خرج للتوصيل", "en": "Out for delivery"}

    live.drain_webhooks()
    [receipt] = receipts(live, order, "shipping_status_updated")
    assert receipt.outcome == "applied"
    page = staff.get(f"{live.url}/admin/orders/{order.order_number}").text
    assert "shipping_status_updated" in page and f"POST /v1/orders/{order.points_uuid}/status" in page


def test_shipping_is_refused_for_an_order_not_paid(live, staff):
    live.start_checkout(live.shopper())
    order = live.latest_order()
    page = act(live, staff, order, "shipping", status="ready_shipping")
    assert "only a paid order can be shipped" in flash(page)
    assert calls(live, order, "/status") == []


def test_a_shipping_status_points_rejects_shows_its_field_errors(live, staff):
    order = paid_order(live)
    page = act(live, staff, order, "shipping", status="ready_shipping", name_en="x" * 121)
    assert "Field cannot be longer than 120 characters." in page
    assert calls(live, order, "/status") == []  # our form stops it first


# --- Cancel --------------------------------------------------------------------------------------


def sandbox_session(live, checkout_url: str) -> dict:
    return requests.get(f"{live.sandbox_url}/_control/sessions/{checkout_url.rstrip('/').rsplit('/', 1)[-1]}").json()


def pending_order_known_to_points(live, staff):
    """A checkout left open, its uuid brought back as a hint on the return page and confirmed by reconciling."""
    shopper = live.shopper()
    checkout_url = live.start_checkout(shopper)
    order = live.latest_order()
    session = sandbox_session(live, checkout_url)
    shopper.get(with_uuid_hint(session["redirect_url"], session["order_uuid"]))  # kept as a hint only
    page = act(live, staff, order, "reconcile")
    assert "Points says new; ignored" in flash(page), flash(page)
    order = live.order(order.order_number)
    assert (order.status, order.points_uuid, order.points_order_status) == (
        "pending_payment",
        session["order_uuid"],
        "new",
    )
    return order, checkout_url


def test_staff_cancel_an_unpaid_order_and_the_cancelled_webhook_cancels_it(live, staff):
    order, _ = pending_order_known_to_points(live, staff)
    page = act(live, staff, order, "cancel", reason="Customer asked to cancel")
    assert "Cancellation of" in flash(page) and "updates when Points' webhook arrives" in flash(page)

    cancelled = live.wait_for_status(order.order_number, "cancelled")
    assert cancelled.status_reason == "Customer asked to cancel"
    assert remote(live, order)["order_status"] == "cancelled"
    with live.app.app_context():
        last = db.session.scalars(
            sa.select(OrderTransition).where(OrderTransition.order_id == order.id).order_by(OrderTransition.id.desc())
        ).first()
    assert (last.to_status, last.source) == ("cancelled", "webhook")


def test_cancel_is_refused_for_a_paid_order(live, staff):
    order = paid_order(live)
    page = act(live, staff, order, "cancel", reason="Too late")
    assert "Refund it instead" in flash(page)
    assert calls(live, order, "/cancel") == []


def test_when_points_refuses_a_cancel_staff_see_why_and_nothing_changes(live, staff):
    order, checkout_url = pending_order_known_to_points(live, staff)
    live.chaos(webhook_drop_next=1)
    live.complete(checkout_url, phone="500000002", points=0)  # paid at Points; its webhook is lost
    page = act(live, staff, order, "cancel", reason="Customer asked")
    assert flash(page).startswith("Points refused: ") and "Reconcile the order" in flash(page)
    after = live.order(order.order_number)
    assert (after.status, after.points_order_status) == ("pending_payment", "new")
    [call] = calls(live, order, "/cancel")
    assert call.response_status == 400


# --- Refund --------------------------------------------------------------------------------------


def test_partial_refunds_add_up_and_show_once_the_refunded_webhook_lands(live, staff):
    order = paid_order(live, "sukkari-dates", 2)  # 2 x 79.00 + 25.00 shipping = 183.00
    assert order.total == Decimal("183.00")

    page = act(live, staff, order, "refund", amount="30.00", reason="One box returned")
    assert "Refund of 30.00 SAR requested; the order updates when Points' webhook arrives." in flash(page)
    first = live.wait_for_status(order.order_number, "partially_refunded")
    assert first.refunded_amount == Decimal("30.00")

    act(live, staff, order, "refund", amount="53.00", reason="Late delivery")
    live.drain_webhooks()
    assert live.order(order.order_number).refunded_amount == Decimal("83.00")

    page = act(live, staff, order, "refund", amount="", reason="Everything else")
    assert "Refund of the remaining 100.00 SAR requested" in flash(page)
    done = live.wait_for_status(order.order_number, "refunded")
    assert done.refunded_amount == Decimal("183.00")
    assert remote(live, order)["order_status"] == "fully_refunded"
    page = staff.get(f"{live.url}/admin/orders/{order.order_number}").text
    assert page.count(">refunded</strong>") == 3  # three refunded webhooks on the timeline


def test_a_refund_above_what_is_left_is_refused_before_calling_points(live, staff):
    order = paid_order(live)
    page = act(live, staff, order, "refund", amount=str(order.total + Decimal("0.01")), reason="Too much")
    assert f"SAR left to refund on {order.order_number}" in flash(page)
    assert calls(live, order, "/refund") == []


def test_a_refund_is_refused_for_an_order_not_yet_paid(live, staff):
    live.start_checkout(live.shopper())
    order = live.latest_order()
    page = act(live, staff, order, "refund", amount="", reason="Nope")
    assert "only a paid order can be refunded" in flash(page)
    assert calls(live, order, "/refund") == []


def test_when_points_refuses_a_refund_staff_see_why_and_nothing_changes(live, staff):
    order = paid_order(live)
    live.chaos(webhook_drop_next=1)
    act(live, staff, order, "refund", amount="", reason="All of it")  # refunded at Points; webhook lost
    live.drain_webhooks()
    page = act(live, staff, order, "refund", amount="5.00", reason="Again")
    assert flash(page).startswith("Points refused: Refund not allowed")
    after = live.order(order.order_number)
    assert (after.status, after.refunded_amount) == ("paid", Decimal("0.00"))
    assert [c.response_status for c in calls(live, order, "/refund")] == [200, 400]


# --- Reconciliation of a lost webhook ----------------------------------------------------------


def test_a_lost_approved_webhook_is_reconciled_by_the_button(live, staff):
    live.chaos(webhook_drop_next=1)
    shopper = live.shopper()
    checkout_url = live.start_checkout(shopper)
    order = live.latest_order()
    result = live.complete(checkout_url, phone="500000002", points=0)
    shopper.get(with_uuid_hint(result["redirect_url"], result["order_uuid"]))  # kept only as a hint
    live.drain_webhooks()
    order = live.order(order.order_number)
    assert (order.status, order.points_uuid, order.points_uuid_hint) == ("pending_payment", None, result["order_uuid"])

    page = act(live, staff, order, "reconcile")
    assert "Points says approved; applied" in flash(page)
    paid = live.order(order.order_number)
    assert (paid.status, paid.points_uuid) == ("paid", result["order_uuid"])
    with live.app.app_context():
        [to_paid] = db.session.scalars(
            sa.select(OrderTransition).where(OrderTransition.order_id == order.id, OrderTransition.to_status == "paid")
        ).all()
    assert to_paid.source == "reconciliation"
    assert [c.method for c in calls(live, order, result["order_uuid"])] == ["GET"]
    assert f"GET /v1/orders/{result['order_uuid']}" in page


def test_a_lost_approved_webhook_is_reconciled_by_the_command(live):
    live.chaos(webhook_drop_next=1)
    shopper = live.shopper()
    checkout_url = live.start_checkout(shopper)
    order = live.latest_order()
    result = live.complete(checkout_url, phone="500000002", points=0)
    shopper.get(with_uuid_hint(result["redirect_url"], result["order_uuid"]))
    live.drain_webhooks()
    assert live.order(order.order_number).status == "pending_payment"

    # Outside a request, the CLI reaches the demo sandbox through SHOP_BASE_URL.
    saved = live.app.config["SHOP_BASE_URL"]
    live.app.config["SHOP_BASE_URL"] = live.url
    try:
        output = live.app.test_cli_runner().invoke(args=["reconcile", "--older-than", "0s"]).output
    finally:
        live.app.config["SHOP_BASE_URL"] = saved
    assert f"{order.order_number}: Points says approved; applied" in output
    assert live.order(order.order_number).status == "paid"


# --- One submission, one call to Points ----------------------------------------------------------


def test_the_same_refund_form_submitted_twice_at_once_refunds_once(live, staff):
    from concurrent.futures import ThreadPoolExecutor

    order = paid_order(live, "sukkari-dates", 2)  # 183.00
    form = {**rendered_form(order_page(live, staff, order), "refund"), "amount": "10.00", "reason": "Double click"}
    start = threading.Barrier(2)

    def press(_):
        tab = requests.Session()  # a second tab of the same staff member
        tab.cookies.update(staff.cookies)
        start.wait()
        return tab.post(f"{live.url}/admin/orders/{order.order_number}/refund", data=form, allow_redirects=False)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(press, range(2)))

    assert [a.status_code for a in answers] == [303, 303]
    assert [c.response_status for c in calls(live, order, "/refund")] == [200]
    live.drain_webhooks()
    refunds = requests.get(
        f"{live.sandbox_url}/_control/deliveries", params={"order_number": order.order_number, "event": "refunded"}
    ).json()["deliveries"]
    assert [
        (json.loads(d["payload"])["order"]["refund_amount"], json.loads(d["payload"])["order"]["left_amount"])
        for d in refunds
    ] == [(10.0, 173.0)]  # Points refunded 10.00 once, not 20.00
    live.wait_for_status(order.order_number, "partially_refunded")
    assert live.order(order.order_number).refunded_amount == Decimal("10.00")


def test_reloading_a_refund_that_went_through_does_not_refund_again(live, staff):
    order = paid_order(live)
    form = {**rendered_form(order_page(live, staff, order), "refund"), "amount": "5.00", "reason": "Scratched"}
    first = submit(live, staff, order, "refund", form)
    assert "Refund of 5.00 SAR requested" in flash(first)

    again = submit(live, staff, order, "refund", form)  # the browser's "resend the form?"

    assert flash(again) == (
        "This refund form was already submitted, so it was not sent to Points again. "
        "Refund of 5.00 SAR requested; the order updates when Points' webhook arrives."
    )
    assert len(calls(live, order, "/refund")) == 1
    fresh = rendered_form(order_page(live, staff, order), "refund")
    assert fresh["submission_key"] != form["submission_key"]  # a new refund is a new form


def test_every_staff_action_refused_by_points_lands_on_the_order_page_with_points_message(live, staff):
    order = paid_order(live)
    live.chaos(webhook_drop_next=1)
    act(live, staff, order, "refund", amount="", reason="All of it")  # refunded at Points; webhook lost
    live.drain_webhooks()

    refused = act(live, staff, order, "refund", amount="1.00", reason="Again")  # asserts the 303 itself
    assert "Points refused: Refund not allowed" in flash(refused)
    # A reload of the page that shows the refusal is a GET: it sends nothing to Points again.
    assert "Points refused" not in flash(order_page(live, staff, order))
    assert len(calls(live, order, "/refund")) == 2


def test_a_form_left_open_past_its_csrf_token_lands_back_on_the_order_page(live, staff):
    order = paid_order(live)
    form = {**rendered_form(order_page(live, staff, order), "refund"), "amount": "1.00", "reason": "Old tab"}
    page = submit(live, staff, order, "refund", {**form, "csrf_token": "from-a-session-long-gone"})
    assert "This form is out of date: reload the order page and submit it again." in flash(page)
    assert calls(live, order, "/refund") == []
