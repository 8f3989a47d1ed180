"""What staff do through the Points API, with Points' answers simulated by requests-mock.

The same actions run against the embedded sandbox over real HTTP in test_staff_live.py; here
each refusal and each kind of Points error is pinned, which the sandbox cannot all produce.
"""

import random
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from storefront.extensions import db
from storefront.models import PointsApiCall, utcnow
from storefront.points import orders, staff

API = "http://points.invalid/api"
UUID = "0b6f6c1e-0000-4000-8000-000000000001"


@pytest.fixture
def points(requests_mock):
    return requests_mock


def resource(order, **fields):
    return {
        "status": True,
        "message": "",
        "appended_data": {},
        "data": {
            "id": 42,
            "uuid": UUID,
            "order_number": order.order_number,
            "reference_number": "REF-1",
            "order_status": "approved",
            "total_price": float(order.total),
            "status_label": "New",
            **fields,
        },
    }


def paid_order(make_order, **fields):
    return make_order("paid", points_uuid=UUID, points_order_status="approved", **fields)


def pending_order(make_order, **fields):
    return make_order("pending_payment", points_uuid=UUID, points_order_status="new", **fields)


@pytest.fixture
def calls(app):
    def read(order) -> list[PointsApiCall]:
        with app.app_context():
            return db.session.scalars(
                sa.select(PointsApiCall).where(PointsApiCall.order_id == order.id).order_by(PointsApiCall.id)
            ).all()

    return read


@pytest.fixture
def snapshot(reload):
    def take(order) -> tuple:
        o = reload(order)
        return (
            o.status,
            o.points_order_status,
            o.refunded_amount,
            o.shipping_status,
            o.shipping_label_en,
            len(o.transitions),
        )

    return take


def text(response):
    return response.get_data(as_text=True)


def key() -> str:
    """A money form's one-time submission key, as the order page renders it."""
    return str(uuid.uuid4())


def act(staff_client, order, action, **form):
    """Submit an action's form: staff always land back on the order page (303); returns that page."""
    if action in ("refund", "cancel"):
        form.setdefault("submission_key", key())
    response = staff_client.post(f"/admin/orders/{order.order_number}/{action}", data=form)
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"] == f"/admin/orders/{order.order_number}"
    return staff_client.get(response.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")


# --- Shipping status ---------------------------------------------------------------------------


def test_staff_set_the_shipping_status_with_labels_and_the_order_shows_it(
    staff_client, make_order, points, reload, calls
):
    order = paid_order(make_order)
    points.post(
        f"{API}/v1/orders/{UUID}/status",
        json=resource(
            order, status="delivery_is_in_progress", custom_status={"ar": "خرج للتوصيل", "en": "Out for delivery"}
        ),
    )

    page = act(
        staff_client,
        order,
        "shipping",
        status="delivery_is_in_progress",
        name_en="Out for delivery",
        name_ar="خرج للتوصيل",
    )

    assert "Shipping status of" in page and "Out for delivery" in page
    assert points.last_request.json() == {
        "status": "delivery_is_in_progress",
        "name_ar": "خرج للتوصيل",
        "name_en": "Out for delivery",
    }
    assert points.last_request.headers["x-api-key"] == "sk_sandbox_demo"
    order = reload(order)
    assert (order.shipping_status, order.shipping_label_ar, order.shipping_label_en) == (
        "delivery_is_in_progress",
        "خرج للتوصيل",
        "Out for delivery",
    )
    assert order.status == "paid"
    [call] = calls(order)
    assert (call.method, call.path, call.response_status) == ("POST", f"/v1/orders/{UUID}/status", 200)


def test_labels_points_fills_in_are_stored_and_an_integer_status_falls_back_to_the_one_asked(
    app_context, make_order, points
):
    order = paid_order(make_order)
    points.post(
        f"{API}/v1/orders/{UUID}/status", json=resource(order, status=3, custom_status={"ar": "جاهز", "en": "Ready"})
    )
    staff.set_shipping_status(order, "ready_shipping", None, "Ready")
    assert (order.shipping_status, order.shipping_label_ar, order.shipping_label_en) == (
        "ready_shipping",
        "جاهز",
        "Ready",
    )


@pytest.mark.parametrize(
    "status, fields, expected",
    [
        ("pending_payment", {"points_uuid": UUID}, "only a paid order can be shipped"),
        ("cancelled", {"points_uuid": UUID}, "only a paid order can be shipped"),
        ("paid", {"points_uuid": None}, "no confirmed Points order yet"),
    ],
)
def test_shipping_is_refused_before_any_call_on_an_order_that_cannot_ship(
    app_context, make_order, points, calls, status, fields, expected
):
    order = make_order(status, **fields)
    with pytest.raises(staff.ActionError, match=expected) as refused:
        staff.set_shipping_status(order, "ready_shipping")
    assert refused.value.kind == "refused"
    assert points.call_count == 0 and calls(order) == []


@pytest.mark.parametrize(
    "status, name_en, expected",
    [
        ("shipped", None, "not a Points shipping status"),
        ("ready_shipping", "x" * 121, "at most 120 characters"),
    ],
)
def test_shipping_refuses_values_points_would_reject(app_context, make_order, points, status, name_en, expected):
    with pytest.raises(staff.ActionError, match=expected):
        staff.set_shipping_status(paid_order(make_order), status, None, name_en)
    assert points.call_count == 0


def test_the_shipping_form_refuses_a_status_outside_the_enum(staff_client, make_order, points):
    order = paid_order(make_order)
    page = act(staff_client, order, "shipping", status="teleported")
    assert "Not a valid choice" in page and points.call_count == 0


# --- Cancel ------------------------------------------------------------------------------------


def test_cancel_asks_points_and_leaves_the_order_to_the_webhook(staff_client, make_order, points, snapshot, calls):
    order = pending_order(make_order)
    points.post(f"{API}/v1/orders/{UUID}/cancel", json=resource(order, order_status="cancelled"))
    before = snapshot(order)

    page = act(staff_client, order, "cancel", reason="Customer asked")

    assert "Cancellation of" in page and "updates when Points' webhook arrives" in page
    assert points.last_request.json() == {"reason": "Customer asked"}
    assert snapshot(order) == before  # still pending_payment: the `cancelled` webhook cancels it
    assert len(calls(order)) == 1


def test_cancel_is_allowed_for_an_order_authorized_at_points(app_context, make_order, points):
    order = make_order("authorized", points_uuid=UUID, points_order_status="authorized")
    points.post(f"{API}/v1/orders/{UUID}/cancel", json=resource(order, order_status="cancelled"))
    assert "requested" in staff.cancel_order(order, "Out of stock", submission_key=key())


@pytest.mark.parametrize(
    "status, fields, reason, expected",
    [
        (
            "paid",
            {"points_uuid": UUID, "points_order_status": "approved"},
            "r",
            "not yet paid can be cancelled. Refund it instead",
        ),
        ("cancelled", {"points_uuid": UUID, "points_order_status": "cancelled"}, "r", "not yet paid can be cancelled"),
        ("pending_payment", {"points_uuid": None, "points_uuid_hint": UUID}, "r", "reconcile it first"),
        ("pending_payment", {"points_uuid": UUID, "points_order_status": None}, "r", "Reconcile the order"),
        (
            "pending_payment",
            {"points_uuid": UUID, "points_order_status": "approved"},
            "r",
            "needs it new or authorized",
        ),
        ("pending_payment", {"points_uuid": UUID, "points_order_status": "new"}, "  ", "Give a reason"),
        ("pending_payment", {"points_uuid": UUID, "points_order_status": "new"}, "x" * 501, "at most 500"),
    ],
)
def test_cancel_is_refused_before_any_call(app_context, make_order, points, status, fields, reason, expected):
    order = make_order(status, **fields)
    with pytest.raises(staff.ActionError, match=expected):
        staff.cancel_order(order, reason, submission_key=key())
    assert points.call_count == 0


def test_a_refused_cancel_shows_the_reason_on_the_order_page(staff_client, make_order, points):
    order = paid_order(make_order)
    page = act(staff_client, order, "cancel", reason="Changed mind")
    assert "Refund it instead" in page and points.call_count == 0


# --- Refund ------------------------------------------------------------------------------------


def test_a_full_refund_sends_no_amount_and_waits_for_the_webhook(staff_client, make_order, points, snapshot):
    order = paid_order(make_order)
    points.post(f"{API}/v1/orders/{UUID}/refund", json=resource(order, order_status="fully_refunded"))
    before = snapshot(order)

    page = act(staff_client, order, "refund", amount="", reason="Damaged")

    assert f"Refund of the remaining {order.total} SAR requested" in page
    assert "updates when Points' webhook arrives" in page
    assert points.last_request.json() == {"reason": "Damaged"}
    assert snapshot(order) == before


def test_a_partial_refund_sends_the_amount(staff_client, make_order, points):
    order = paid_order(make_order)
    points.post(f"{API}/v1/orders/{UUID}/refund", json=resource(order, order_status="partially_refunded"))
    page = act(staff_client, order, "refund", amount="25.50", reason="One item returned")
    assert "Refund of 25.50 SAR requested" in page
    assert points.last_request.json() == {"amount": 25.5, "reason": "One item returned"}


def test_a_refund_up_to_what_is_left_after_earlier_refunds_is_allowed(app_context, make_order, points):
    order = make_order(
        "partially_refunded",
        points_uuid=UUID,
        points_order_status="partially_refunded",
        refunded_amount=Decimal("20.00"),
    )
    points.post(f"{API}/v1/orders/{UUID}/refund", json=resource(order, order_status="fully_refunded"))
    staff.refund_order(order, order.total - Decimal("20.00"), "The rest", submission_key=key())
    assert points.last_request.json()["amount"] == float(order.total - Decimal("20.00"))


@pytest.mark.parametrize(
    "amount, expected",
    [
        ("0", "more than 0.00 SAR"),
        ("-5", "more than 0.00 SAR"),
        ("10.005", "at most two decimal places"),
        ("abc", "not an amount"),
        ("NaN", "not an amount in SAR"),
    ],
)
def test_a_refund_amount_that_makes_no_sense_is_refused_before_any_call(
    app_context, make_order, points, amount, expected
):
    with pytest.raises(staff.ActionError, match=expected):
        staff.refund_order(paid_order(make_order), amount, "r", submission_key=key())
    assert points.call_count == 0


def test_a_refund_above_what_is_left_is_refused_before_any_call(staff_client, make_order, points):
    order = make_order(
        "partially_refunded",
        points_uuid=UUID,
        points_order_status="partially_refunded",
        refunded_amount=Decimal("20.00"),
    )
    too_much = order.total - Decimal("20.00") + Decimal("0.01")
    page = act(staff_client, order, "refund", amount=str(too_much), reason="r")
    assert f"{too_much} SAR is more than the {order.total - Decimal('20.00')} SAR left" in page
    assert points.call_count == 0


@pytest.mark.parametrize(
    "status, fields, expected",
    [
        ("pending_payment", {"points_order_status": "new"}, "only a paid order can be refunded. Cancel it instead"),
        ("refunded", {"points_order_status": "fully_refunded"}, "only a paid order can be refunded"),
        ("cancelled", {"points_order_status": "cancelled"}, "only a paid order can be refunded"),
        ("paid", {"points_uuid": None}, "reconcile it first"),
    ],
)
def test_a_refund_on_an_order_that_was_not_paid_is_refused_before_any_call(
    app_context, make_order, points, status, fields, expected
):
    order = make_order(status, **{"points_uuid": UUID, **fields})
    with pytest.raises(staff.ActionError, match=expected):
        staff.refund_order(order, None, "r", submission_key=key())
    assert points.call_count == 0


def test_a_refund_is_not_blocked_by_a_stale_points_status_left_by_a_late_webhook(app_context, make_order, points):
    order = make_order("paid", points_uuid=UUID, points_order_status="cancelled")
    points.post(f"{API}/v1/orders/{UUID}/refund", json=resource(order, order_status="partially_refunded"))
    assert "requested" in staff.refund_order(order, Decimal("5.00"), "Damaged", submission_key=key())


def test_an_order_paid_after_the_shop_gave_up_can_be_refunded(app_context, make_order, points):
    order = make_order("needs_review", points_uuid=UUID, points_order_status="approved")
    points.post(f"{API}/v1/orders/{UUID}/refund", json=resource(order, order_status="fully_refunded"))
    assert "requested" in staff.refund_order(order, None, "Paid after the session expired", submission_key=key())


def test_the_refund_form_needs_a_reason(staff_client, make_order, points):
    order = paid_order(make_order)
    page = act(staff_client, order, "refund", amount="5")
    assert "Give a reason." in page and points.call_count == 0
    assert 'value="5"' in page  # what staff typed is still there


# --- Every Points error: a clear message, nothing changed but the recorded call ----------------

ERRORS = {
    "auth": dict(
        status_code=400, json={"status": False, "message": "Invalid or inactive API key", "appended_data": {}}
    ),
    "rejected": dict(
        status_code=400, json={"status": False, "message": "Refund not allowed for this order", "appended_data": {}}
    ),
    "not_found": dict(status_code=404, json={"status": False, "message": "Order not found", "appended_data": {}}),
    "validation": dict(
        status_code=422,
        json={
            "status": False,
            "message": "The given data was invalid.",
            "appended_data": {},
            "errors": {"amount": ["The amount is too big."]},
        },
    ),
    "rate_limited": dict(status_code=429, json={"status": False, "message": "Too Many Attempts.", "appended_data": {}}),
    "server": dict(status_code=500, text="<html>Server Error</html>"),
    "timeout": dict(exc=requests.exceptions.ReadTimeout),
    "connection": dict(exc=requests.exceptions.ConnectionError),
}
ADVICE = {
    "auth": "Check POINTS_PRIVATE_KEY",
    "rejected": "Points refused: Refund not allowed for this order.",
    "not_found": "Points does not know the order",
    "validation": "amount: The amount is too big.",
    "rate_limited": "Wait a minute and try again",
    "server": "try again in a moment",
    "timeout": "did not answer in time",
    "connection": "Could not reach Points",
}
ACTIONS = {
    "shipping": ("paid", "status", {"status": "delivered"}),
    "cancel": ("pending_payment", "cancel", {"reason": "Customer asked"}),
    "refund": ("paid", "refund", {"amount": "10.00", "reason": "Returned"}),
}


@pytest.mark.parametrize("kind", list(ERRORS))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_failed_points_call_shows_what_to_do_and_changes_nothing(
    staff_client, make_order, points, snapshot, calls, action, kind
):
    status, path, form = ACTIONS[action]
    order = make_order(status, points_uuid=UUID, points_order_status="approved" if status == "paid" else "new")
    points.post(f"{API}/v1/orders/{UUID}/{path}", **ERRORS[kind])
    before = snapshot(order)

    page = act(staff_client, order, action, **form)

    assert ADVICE[kind] in page
    assert "sk_sandbox_demo" not in page
    assert snapshot(order) == before
    [call] = calls(order)  # the failed call stays on the timeline
    assert call.error and kind in call.error


# --- Reconcile ---------------------------------------------------------------------------------


def test_the_reconcile_button_applies_what_points_says_as_a_webhook_would(staff_client, make_order, points, reload):
    order = make_order("pending_payment", points_uuid_hint=UUID)
    points.get(f"{API}/v1/orders/{UUID}", json=resource(order, order_status="approved"))

    response = staff_client.post(f"/admin/orders/{order.order_number}/reconcile", follow_redirects=True)
    assert response.history[0].status_code == 303

    assert "Points says approved; applied" in text(response)
    order = reload(order)
    assert (order.status, order.points_uuid, order.points_reference_number) == ("paid", UUID, "REF-1")
    assert order.transitions[-1].source == "reconciliation"


def test_reconcile_drops_a_hint_that_belongs_to_another_order(app_context, make_order, points):
    order = make_order("pending_payment", points_uuid_hint=UUID)
    points.get(f"{API}/v1/orders/{UUID}", json=resource(order, order_number="SOMEONE-ELSE"))
    assert "not to this order" in staff.reconcile_order(order)
    assert order.status == "pending_payment" and order.points_uuid is None and order.points_uuid_hint is None


def test_reconcile_cancels_an_order_that_never_got_a_checkout_url_past_the_session_life(
    app_context, make_order, points
):
    order = make_order("pending_payment", created_at=utcnow() - timedelta(minutes=31))
    assert "cancelled" in staff.reconcile_order(order)
    assert (order.status, order.status_reason) == ("cancelled", orders.NEVER_STARTED)
    assert points.call_count == 0


def test_reconcile_puts_an_order_sent_to_checkout_with_no_word_to_review_never_cancels_it(
    app_context, make_order, points
):
    order = make_order(
        "pending_payment",
        checkout_url="https://points.invalid/checkout/s1",
        checkout_started_at=utcnow() - timedelta(minutes=31),
    )
    assert "it needs review" in staff.reconcile_order(order)
    assert (order.status, order.status_reason) == ("needs_review", "no word from Points")
    assert order.transitions[-1].source == "reconciliation"
    assert points.call_count == 0


def test_reconcile_waits_out_the_session_life_before_deciding(app_context, make_order, points):
    order = make_order(
        "pending_payment",
        checkout_url="https://points.invalid/checkout/s1",
        checkout_started_at=utcnow() - timedelta(minutes=29),
    )
    assert "nothing to ask" in staff.reconcile_order(order)
    assert order.status == "pending_payment" and points.call_count == 0


def test_a_hint_points_does_not_know_is_dropped_and_the_order_still_reaches_review(app_context, make_order, points):
    order = make_order(
        "pending_payment",
        points_uuid_hint=UUID,
        checkout_url="https://points.invalid/checkout/s1",
        checkout_started_at=utcnow() - timedelta(minutes=31),
    )
    points.get(f"{API}/v1/orders/{UUID}", **ERRORS["not_found"])
    message = staff.reconcile_order(order)
    assert "the hint was dropped" in message
    assert (order.status, order.status_reason, order.points_uuid_hint) == ("needs_review", "no word from Points", None)


def test_reconcile_is_refused_for_an_order_whose_webhook_came(staff_client, make_order, points):
    order = paid_order(make_order)
    response = staff_client.post(f"/admin/orders/{order.order_number}/reconcile", follow_redirects=True)
    assert response.history[0].status_code == 303
    assert "only an order waiting for payment is reconciled" in text(response) and points.call_count == 0


def test_a_failed_reconcile_shows_what_to_do_and_changes_nothing(staff_client, make_order, points, snapshot, calls):
    order = make_order("pending_payment", points_uuid_hint=UUID)
    points.get(f"{API}/v1/orders/{UUID}", **ERRORS["rate_limited"])
    before = snapshot(order)
    response = staff_client.post(f"/admin/orders/{order.order_number}/reconcile", follow_redirects=True)
    assert response.history[0].status_code == 303
    assert "Wait a minute and try again" in text(response)
    # A read is tried three times on 429 (client.py), each try on the timeline.
    assert snapshot(order) == before and len(calls(order)) == 3


# --- The operator commands --------------------------------------------------------------------


def test_the_reconcile_command_reconciles_only_stale_pending_orders(app, runner, make_order, points, reload):
    stale = make_order("pending_payment", points_uuid_hint=UUID, created_at=utcnow() - timedelta(minutes=20))
    fresh = make_order("pending_payment", points_uuid_hint="fresh-uuid")
    never_started = make_order("pending_payment", created_at=utcnow() - timedelta(hours=1))
    no_word = make_order(
        "pending_payment",
        created_at=utcnow() - timedelta(hours=1),
        checkout_url="https://points.invalid/checkout/s2",
        checkout_started_at=utcnow() - timedelta(hours=1),
    )
    points.get(f"{API}/v1/orders/{UUID}", json=resource(stale, order_status="approved"))

    result = runner.invoke(args=["reconcile", "--older-than", "15m"])

    assert result.exit_code == 0, result.output
    assert f"{stale.order_number}: Points says approved; applied" in result.output
    assert fresh.order_number not in result.output
    assert f"{never_started.order_number}: checkout never started" in result.output
    assert f"{no_word.order_number}: no word from Points within the session life" in result.output
    assert [reload(o).status for o in (stale, fresh, never_started, no_word)] == [
        "paid",
        "pending_payment",
        "cancelled",
        "needs_review",
    ]
    assert points.call_count == 1


def test_the_reconcile_command_goes_on_past_a_failed_call_and_exits_1_naming_the_order(
    app, runner, make_order, points, reload
):
    failing = make_order("pending_payment", points_uuid_hint=UUID, created_at=utcnow() - timedelta(minutes=21))
    other_uuid = "0b6f6c1e-0000-4000-8000-0000000000bb"
    fine = make_order("pending_payment", points_uuid_hint=other_uuid, created_at=utcnow() - timedelta(minutes=20))
    points.get(f"{API}/v1/orders/{UUID}", status_code=503, json={"status": False, "message": "Down"})
    points.get(f"{API}/v1/orders/{other_uuid}", json=resource(fine, uuid=other_uuid, order_status="approved"))
    result = runner.invoke(args=["reconcile", "--older-than", "15m"])
    assert result.exit_code == 1, result.output
    assert f"{failing.order_number}: Points call failed" in result.output
    assert f"1 order(s) could not be reconciled: {failing.order_number}" in result.output
    assert reload(fine).status == "paid" and reload(failing).reconcile_claimed_at is None  # the claim let go


def test_register_webhook_prints_the_secret_once(app_context, runner, points):
    points.post(
        f"{API}/v1/webhooks",
        json={
            "status": True,
            "message": "",
            "appended_data": {},
            "data": {
                "uuid": "wh-1",
                "name": "Points Storefront",
                "url": "https://shop.example/webhooks/points",
                "secret": "whsec_" + "s" * 54,
            },
        },
    )
    result = runner.invoke(args=["points", "register-webhook", "https://shop.example/webhooks/points"])
    assert result.exit_code == 0, result.output
    assert result.output.count("whsec_" + "s" * 54) == 1
    assert points.last_request.json() == {"name": "Points Storefront", "url": "https://shop.example/webhooks/points"}
    assert points.last_request.headers["x-api-key"] == "sk_sandbox_demo"


def test_register_webhook_says_why_points_refused(app_context, runner, points):
    points.post(f"{API}/v1/webhooks", **ERRORS["auth"])
    result = runner.invoke(args=["points", "register-webhook", "https://shop.example/webhooks/points"])
    assert result.exit_code != 0 and "Invalid or inactive API key" in result.output


def test_staff_accept_a_reviewed_order_and_it_is_released_for_fulfilment(staff_client, make_order, reload):
    order = make_order(status="needs_review", status_reason="Amount mismatch")
    page = staff_client.get(f"/admin/orders/{order.order_number}").get_data(as_text=True)
    assert "Accept and fulfil" in page
    assert "Say what you checked." in act(staff_client, order, "accept", note="")
    assert "is accepted and released for fulfilment" in act(
        staff_client, order, "accept", note="Customer confirmed the total by phone"
    )
    order = reload(order)
    assert order.status == "paid"
    assert order.transitions[-1].source == "admin" and "Customer confirmed" in order.transitions[-1].reason


def test_only_an_order_under_review_can_be_accepted(staff_client, make_order, reload):
    order = make_order(status="pending_payment")
    assert "only an order under review is accepted" in act(staff_client, order, "accept", note="looks fine")
    assert reload(order).status == "pending_payment"


# --- Every staff action answers 303 to the order page; one submission is one call --------------


def test_what_staff_typed_into_a_refused_form_comes_back_once(staff_client, make_order, points):
    order = paid_order(make_order)
    page = act(staff_client, order, "refund", amount="9999.00", reason="Typed with care")
    assert "SAR is more than the" in page
    assert 'value="9999.00"' in page and "Typed with care</textarea>" in page
    again = staff_client.get(f"/admin/orders/{order.order_number}").get_data(as_text=True)
    assert "Typed with care" not in again  # one render only
    assert points.call_count == 0


# 2,000 Arabic letters that do not repeat: the worst case for the compressed cookie.
ARABIC_NOISE = "".join(random.Random(8).choices("ابتثجحخدذرزسشصضطظعغفقكلمنهوي ", k=2000))


def test_a_long_arabic_reason_kept_for_one_render_fits_in_the_session_cookie(staff_client, make_order, points):
    order = paid_order(make_order)
    points.post(
        f"{API}/v1/orders/{UUID}/refund",
        status_code=400,
        json={"status": False, "message": "Refund not allowed", "appended_data": {}},
    )
    response = staff_client.post(
        f"/admin/orders/{order.order_number}/refund",
        data={"amount": "1.00", "reason": ARABIC_NOISE, "submission_key": key()},
    )
    cookie = response.headers["Set-Cookie"]
    assert response.status_code == 303 and len(cookie) < 4000, len(cookie)
    assert ARABIC_NOISE[:100] in act(staff_client, order, "refund", amount="1.00", reason=ARABIC_NOISE)


@pytest.mark.parametrize("submission_key", ["", "not-a-key"])
def test_a_money_form_without_its_one_time_key_is_out_of_date_and_calls_nothing(
    staff_client, make_order, points, submission_key
):
    order = paid_order(make_order)
    page = act(staff_client, order, "refund", amount="1.00", reason="r", submission_key=submission_key)
    assert "This form is out of date: reload the order page and submit it again." in page
    assert points.call_count == 0


@pytest.mark.parametrize(
    "action, path, form",
    [
        ("refund", "refund", {"amount": "10.00", "reason": "Returned"}),
        ("cancel", "cancel", {"reason": "Customer asked"}),
    ],
)
def test_the_same_money_form_arriving_twice_calls_points_once(staff_client, make_order, points, action, path, form):
    order = paid_order(make_order) if action == "refund" else pending_order(make_order)
    points.post(f"{API}/v1/orders/{UUID}/{path}", json=resource(order))
    form = {**form, "submission_key": key()}

    first = act(staff_client, order, action, **form)
    second = act(staff_client, order, action, **form)

    assert "requested" in first
    assert f"This {action} form was already submitted, so it was not sent to Points again." in second
    assert points.call_count == 1


def test_a_refund_that_timed_out_is_not_sent_again_by_a_reload(staff_client, make_order, points):
    order = paid_order(make_order)
    points.post(f"{API}/v1/orders/{UUID}/refund", exc=requests.exceptions.ReadTimeout)
    form = {"amount": "10.00", "reason": "Returned", "submission_key": key()}

    assert "did not answer in time" in act(staff_client, order, "refund", **form)
    again = act(staff_client, order, "refund", **form)

    assert "already submitted" in again and "Points did not answer in time" in again  # the first one's outcome
    assert points.call_count == 1


@pytest.mark.parametrize(
    "status, fields, offered",
    [
        ("paid", {"points_uuid": UUID}, True),
        ("partially_refunded", {"points_uuid": UUID, "refunded_amount": Decimal("5.00")}, True),
        ("paid", {"points_uuid": None}, False),
        ("needs_review", {"points_uuid": UUID}, False),
        ("refunded", {"points_uuid": UUID}, False),
    ],
)
def test_shipping_is_offered_exactly_where_points_accepts_it(staff_client, make_order, status, fields, offered):
    order = make_order(status, **fields)
    page = staff_client.get(f"/admin/orders/{order.order_number}").get_data(as_text=True)
    assert ("Update shipping" in page) is offered


def test_a_partially_refunded_order_ships_what_was_not_refunded(app_context, make_order, points):
    order = make_order("partially_refunded", points_uuid=UUID, refunded_amount=Decimal("5.00"))
    points.post(f"{API}/v1/orders/{UUID}/status", json=resource(order, status="ready_shipping"))
    assert "is now ready to ship" in staff.set_shipping_status(order, "ready_shipping")
    # No labels typed: the shop's own words for the status go in both languages, so Points
    # machine-translates neither and the shopper reads the shop's words in the Points app.
    assert points.last_request.json() == {
        "status": "ready_shipping",
        "name_ar": "جاهز للشحن",
        "name_en": "Ready to ship",
    }
