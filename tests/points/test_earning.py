"""Earning on cash on delivery: the client's call on the wire (requests-mock), then the whole path
against the embedded sandbox over real HTTP: checkout, collected, the sender, Points' answers,
its 429 and the earning order's webhook; and the sender killed mid-call and started again."""

import html
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from staff_pages import log_in

from storefront.extensions import db
from storefront.models import Order, PointsApiCall, PointsEarning, WebhookReceipt
from storefront.points import earn, staff
from storefront.points.client import PointsClient, PointsError

BASE = "https://points.test/api"
EARNING_URL = f"{BASE}/v1/orders/earning"
UUID = "550e8400-e29b-41d4-a716-446655440000"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def points_client():
    return PointsClient(BASE, "pk_test", "sk_test_private", timeout=5)


def test_an_approved_earning_gives_its_uuid_reference_and_points(points_client, requests_mock):
    requests_mock.post(
        EARNING_URL,
        json={
            "status": True,
            "message": "",
            "appended_data": {},
            "data": {
                "id": 42,
                "uuid": UUID,
                "reference_number": "REF-1",
                "order_status": "approved",
                "order_number": "PTS-2026-000001",
                "type": 1,
                "total_price": 115.0,
                "total_points": 1150,
            },
        },
    )
    answer = points_client.create_earning({"order_number": "PTS-2026-000001"})
    assert (answer.pending_activation, answer.uuid, answer.reference_number, answer.total_points) == (
        False,
        UUID,
        "REF-1",
        1150,
    )
    assert requests_mock.last_request.headers["x-api-key"] == "sk_test_private"


def test_a_pending_earning_has_its_points_and_no_uuid(points_client, requests_mock):
    requests_mock.post(
        EARNING_URL,
        json={
            "status": True,
            "message": "",
            "appended_data": {},
            "data": {
                "pending_client_activation": True,
                "pending_earning_order": {
                    "id": 99,
                    "merchant_order_number": "PTS-2026-000001",
                    "total_price": 115.0,
                    "total_points": 1150,
                },
            },
        },
    )
    answer = points_client.create_earning({})
    assert (answer.pending_activation, answer.uuid, answer.total_points) == (True, None, 1150)


@pytest.mark.parametrize(
    "status, kind, headers",
    [(429, "rate_limited", {"Retry-After": "3"}), (403, "forbidden", {}), (422, "validation", {}), (500, "server", {})],
)
def test_earning_refusals_are_typed_with_retry_after(points_client, requests_mock, status, kind, headers):
    requests_mock.post(
        EARNING_URL,
        status_code=status,
        headers=headers,
        json={"status": False, "message": "Merchant is not allowed to create earning orders", "appended_data": {}},
    )
    with pytest.raises(PointsError) as raised:
        points_client.create_earning({})
    assert raised.value.kind == kind
    assert raised.value.retry_after == (3.0 if headers else None)


@pytest.mark.parametrize(
    "header, seconds",
    [
        ("7", 7.0),
        ("Wed, 01 Dec 2027 10:00:30 GMT", 30.0),  # the HTTP-date form, counted from now
        ("Wed, 01 Dec 2027 09:59:00 GMT", 0.0),  # a date already past: send when due
        ("soon", None),
        ("86400", None),  # over an hour: not trusted to park the order
    ],
)
def test_retry_after_is_read_in_seconds_or_as_an_http_date(header, seconds):
    from datetime import datetime, timezone

    from storefront.points.client import _retry_after

    assert _retry_after(header, now=datetime(2027, 12, 1, 10, 0, 0, tzinfo=timezone.utc)) == seconds


# --- Against the sandbox ---------------------------------------------------------------------


def cash_order(live, phone="0500000001", slug="sukkari-dates"):
    shopper = live.shopper()
    live.add_to_cart(shopper, slug)
    token = live.csrf_token(shopper, "/checkout")
    response = shopper.post(
        f"{live.url}/checkout",
        data={
            "csrf_token": token,
            "phone": phone,
            "name": "Sara",
            "city": "Riyadh",
            "address_line": "King Fahd Rd 1",
            "payment": "cod",
        },
        allow_redirects=False,
    )
    assert response.status_code == 303 and "/checkout/placed/" in response.headers["Location"]
    page = shopper.get(live.url + response.headers["Location"])
    assert 'data-testid="cash-order-placed"' in page.text
    assert shopper.get(f"{live.url}/cart").text.count('name="quantity"') == 0  # the cart is emptied
    order = live.latest_order()
    assert (order.status, order.payment_method) == ("awaiting_collection", "cod")
    return order, shopper


def collect_and_send(live, order):
    with live.app.test_request_context(base_url=live.url):
        staff.mark_collected(db.session.get(Order, order.id))
        return earn.send_due()


def collect_and_approve(live, order):
    """Collected and sent until Points answers: a call still hanging at the sandbox from an earlier
    test (the killed sender's) holds Points' per-merchant lock, and its 429 is honoured here."""
    collect_and_send(live, order)
    deadline = time.monotonic() + 30
    while earning_of(live, order).state == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
        with live.app.test_request_context(base_url=live.url):
            db.session.get(PointsEarning, earning_of(live, order).id).next_attempt_at = earn.utcnow()
            db.session.commit()
            earn.send_due()
    live.drain_webhooks()
    return earning_of(live, order)


def earning_of(live, order):
    with live.app.app_context():
        earning = db.session.scalar(sa.select(PointsEarning).where(PointsEarning.order_id == order.id))
        db.session.expunge(earning)
        return earning


def earning_orders_at_points(live, order_number):
    deliveries = requests.get(f"{live.sandbox_url}/_control/deliveries", params={"order_number": order_number}).json()
    return {d["order_uuid"] for d in deliveries["deliveries"] if d["event"] == "approved"}


def test_nothing_is_sent_before_collection_then_one_earning_is_approved(live):
    order, shopper = cash_order(live)
    with live.app.test_request_context(base_url=live.url):
        assert earn.send_due() == []  # not collected: nothing to send
    lines = collect_and_send(live, order)
    assert len(lines) == 1 and "approved" in lines[0]
    earning = earning_of(live, order)
    assert (earning.state, earning.total_points, earning.attempts) == ("approved", int(order.total * 10), 1)
    assert earning.uuid and earning.reference_number
    live.drain_webhooks()
    after = live.order(order.order_number)
    assert (after.status, after.points_uuid) == ("paid", None)  # the webhook never touched the payment
    assert earning_orders_at_points(live, order.order_number) == {earning.uuid}
    page = shopper.get(f"{live.url}/orders/{order.token}", headers={"Cookie": "lang=en"}).text
    assert 'data-testid="points-earned"' in page and f"{int(order.total * 10):,}" in page


@pytest.mark.parametrize(
    "lang, payment, known, detail",
    [
        (
            "en",
            "In cash, collected by the shop: Points is not asked about the payment",
            "already known",
            "the earning is already approved; nothing changed",
        ),
        ("ar", "نقدًا، يحصّله المتجر: لا تُسأل بوينتس عن الدفع", "معروف من قبل", "الكسب معتمد من قبل؛ لم يتغير شيء"),
    ],
)
def test_the_back_office_shows_a_cash_order_as_cash_and_the_approved_webhook_as_already_known(
    live, lang, payment, known, detail
):
    """Points never hears of a cash order's payment (no "no webhook or reconciliation yet"), and the
    earning's approved webhook, after the call's approved answer, confirms it rather than being late."""
    order, _ = cash_order(live)
    staff_session = log_in(live)
    waiting = html.unescape(
        staff_session.get(f"{live.url}/admin/orders/{order.order_number}", cookies={"lang": lang}).text
    )
    assert payment in waiting and "no webhook or reconciliation" not in waiting
    live.chaos(webhook_drop_next=1)  # the webhook comes once the API's answer is in, as it mostly does
    assert collect_and_approve(live, order).state == "approved"
    deliveries = requests.get(f"{live.sandbox_url}/_control/deliveries", params={"order_number": order.order_number})
    [approved] = [d["id"] for d in deliveries.json()["deliveries"] if d["event"] == "approved"]
    assert requests.post(f"{live.sandbox_url}/_control/deliveries/{approved}/resend").status_code == 200
    live.drain_webhooks()
    page = html.unescape(
        staff_session.get(f"{live.url}/admin/orders/{order.order_number}", cookies={"lang": lang}).text
    )
    assert payment in page and "no webhook or reconciliation" not in page
    chips = re.findall(r'<span class="chip chip-(\w+)">([^<]+)</span>', page)
    assert ("info", known) in chips and not any(text in ("late", "متأخر") for _, text in chips)
    assert detail in page
    with live.app.app_context():
        outcomes = db.session.scalars(sa.select(WebhookReceipt.outcome).where(WebhookReceipt.order_id == order.id))
        assert list(outcomes) == ["earning_known"]


def test_a_shopper_without_points_waits_for_activation(live):
    order, shopper = cash_order(live, phone="0512345678")
    collect_and_send(live, order)
    assert (earning_of(live, order).state, earning_of(live, order).total_points) == (
        "pending_activation",
        int(order.total * 10),
    )
    assert 'data-testid="points-pending"' in shopper.get(f"{live.url}/orders/{order.token}").text
    assert requests.post(f"{live.sandbox_url}/_control/shoppers/512345678/activate").status_code == 200
    live.drain_webhooks()
    earning = earning_of(live, order)
    assert earning.state == "approved" and earning.uuid  # the approved webhook of the earning order


def test_a_429_backs_off_honouring_retry_after_then_sends(live):
    order, _ = cash_order(live)
    live.chaos(earning_fail_status=429, earning_fail_next=1, earning_retry_after=30)
    collect_and_send(live, order)
    earning = earning_of(live, order)
    assert earning.state == "pending" and earning.attempts == 1
    assert (earning.next_attempt_at - earning.claimed_at).total_seconds() >= 29
    with live.app.test_request_context(base_url=live.url):
        assert earn.send_due() == []  # not due yet
        db.session.get(PointsEarning, earning.id).next_attempt_at = earning.claimed_at
        db.session.commit()
        earn.send_due()
    assert earning_of(live, order).state == "approved"
    with live.app.app_context():
        calls = db.session.scalars(
            sa.select(PointsApiCall.response_status)
            .where(PointsApiCall.order_id == order.id)
            .order_by(PointsApiCall.id)
        )
        assert list(calls) == [429, 200]  # every attempt on the order's timeline


def test_a_403_stops_and_keeps_points_message(live):
    order, _ = cash_order(live)
    assert requests.post(f"{live.sandbox_url}/_control/merchant", json={"earning_enabled": False}).status_code == 200
    try:
        collect_and_send(live, order)
    finally:
        requests.post(f"{live.sandbox_url}/_control/merchant", json={"earning_enabled": True})
    earning = earning_of(live, order)
    assert (earning.state, earning.message) == ("refused", "Merchant is not allowed to create earning orders")
    with live.app.test_request_context(base_url=live.url):
        assert earn.send_due() == []  # no retry of a refusal


def test_one_earning_in_flight_at_a_time(live):
    first, _ = cash_order(live)
    second, _ = cash_order(live)
    with live.app.test_request_context(base_url=live.url):
        staff.mark_collected(db.session.get(Order, first.id))
        staff.mark_collected(db.session.get(Order, second.id))
        held = earn._claim()  # a sender (another process) is calling Points for one of them
        assert held is not None
        assert earn.send_next() is None  # the other waits: Points would answer 429
        db.session.execute(sa.update(PointsEarning).where(PointsEarning.id == held[0]).values(state="pending"))
        db.session.commit()
        assert len(earn.send_due()) == 2


def test_the_sender_killed_mid_call_and_restarted_sends_once(live, tmp_path):
    order, _ = cash_order(live)
    with live.app.test_request_context(base_url=live.url):
        staff.mark_collected(db.session.get(Order, order.id))
    live.chaos(earning_hang_seconds=5, earning_hang_next=1)
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")},
        "DATABASE_URL": live.app.config["SQLALCHEMY_DATABASE_URI"],
        "POINTS_API_URL": live.sandbox_url + "/api",
        "POINTS_TIMEOUT_SECONDS": "30",
        "EARN_RETRY_AFTER_SECONDS": "120",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "points", "send-earnings"]
    sender = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while not earning_orders_at_points(live, order.order_number) and time.monotonic() < deadline:
        time.sleep(0.05)  # until Points has made the order; its answer is 5 s away
    assert sender.poll() is None  # still waiting for the answer
    os.killpg(sender.pid, signal.SIGKILL)  # mid-call: Points made the order, the answer is lost
    sender.wait()
    live.drain_webhooks()
    restarted = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    earning = earning_of(live, order)
    assert (earning.state, earning.attempts) == ("approved", 1)  # by its webhook, never sent again
    assert earning_orders_at_points(live, order.order_number) == {earning.uuid}


def test_a_slow_answer_after_its_claim_was_given_up_still_lands_and_a_webhook_wins(live):
    """A call slower than the timeout (requests' is per read) is released as dead by the next pass;
    its approved answer, arriving after, is kept. A webhook that said more first is never undone."""
    order, _ = cash_order(live)
    answer = earn.EarningAnswer(pending_activation=False, total_points=10, uuid=UUID, reference_number="R-1")
    with live.app.test_request_context(base_url=live.url):
        staff.mark_collected(db.session.get(Order, order.id))
        earning_id, token = earn._claim()
        db.session.get(PointsEarning, earning_id).claimed_at -= timedelta(hours=1)
        db.session.commit()
        earn._release_dead_claims()  # another pass: the claim looks dead
        assert db.session.get(PointsEarning, earning_id).state == "awaiting_webhook"
        assert earn._settle(earning_id, token, earn._after_answer(answer)[0])
        db.session.commit()
        assert (db.session.get(PointsEarning, earning_id).state, db.session.get(PointsEarning, earning_id).uuid) == (
            "approved",
            UUID,
        )
        # The webhook came first (it cleared the claim): the sender's late timeout changes nothing.
        values, _line = earn._after_error(1, PointsError("timeout", "timed out"))
        assert not earn._settle(earning_id, token, values)
        db.session.commit()
    assert earning_of(live, order).state == "approved"


def test_a_double_click_on_cash_on_delivery_places_one_order(live):
    """The same checkout form sent several times at once (a double click, two tabs): one cash
    order, and every submission lands on its confirmation."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    shopper = live.shopper()
    live.add_to_cart(shopper, "sukkari-dates")
    form = {
        "csrf_token": live.csrf_token(shopper, "/checkout"),
        "phone": "0500000001",
        "name": "Sara",
        "city": "Riyadh",
        "address_line": "King Fahd Rd 1",
        "payment": "cod",
    }
    with live.app.app_context():
        before = db.session.scalar(sa.select(sa.func.max(Order.id))) or 0
    presses = 4
    together = Barrier(presses)

    def press(_):
        tab = requests.Session()
        tab.cookies.update(shopper.cookies)
        together.wait()
        return tab.post(f"{live.url}/checkout", data=form, allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(presses) as pool:
        answers = list(pool.map(press, range(presses)))
    with live.app.app_context():
        placed = db.session.scalars(sa.select(Order).where(Order.id > before)).all()
        assert [(o.status, o.payment_method) for o in placed] == [("awaiting_collection", "cod")]
        (order,) = placed
        confirmation = f"/checkout/placed/{order.token}"
    assert [(a.status_code, a.headers.get("Location", "").endswith(confirmation)) for a in answers] == [
        (303, True)
    ] * presses


# --- The earning order's webhook rules, and a second earning order ---------------------------


def webhook(live, body):
    from points_webhooks import SECRET

    return requests.post(
        f"{live.url}/webhooks/points",
        json=body,
        headers={"X-Webhook-Secret": SECRET, "X-Webhook-Event": body["event"]},
        timeout=30,
    )


def test_an_earning_order_we_never_sent_or_of_another_shop_is_not_ours(live):
    from points_webhooks import order_event, points_order

    order, _ = cash_order(live)  # awaiting collection: never sent for earning
    for order_number in (order.order_number, "SHOP2-000123"):
        answer = webhook(live, order_event("approved", points_order(order_number, uuid=UUID, type="earning")))
        assert (answer.status_code, answer.json()["outcome"]) == (200, "not_ours")
    assert live.order(order.order_number).status == "awaiting_collection"
    with live.app.app_context():
        assert db.session.scalar(sa.select(PointsEarning.id).where(PointsEarning.order_id == order.id)) is None


def test_a_second_earning_order_is_shown_to_staff_and_refunded_in_one_click(live):
    from points_webhooks import order_event, points_order

    order, _ = cash_order(live)
    first = collect_and_approve(live, order)
    assert first.state == "approved"
    # The earning webhook updates that earning only: the order's payment stays as staff set it.
    refunded = webhook(
        live,
        order_event(
            "refunded",
            points_order(order.order_number, uuid="0" * 8 + UUID[8:], type="earning", order_status="refunded"),
        ),
    )
    assert refunded.status_code == 200 and live.order(order.order_number).status == "paid"
    assert earning_of(live, order).state == "approved"  # about another uuid: nothing changed

    # Points made a second earning order under our number (an ambiguous answer sent again).
    with live.app.app_context():
        body = earn.earning_body(db.session.get(Order, order.id))
    second = live.points_api("POST", "/v1/orders/earning", json=body).json()["data"]
    live.drain_webhooks()
    assert second["uuid"] != first.uuid
    assert earning_of(live, order).extra_uuid == second["uuid"]
    assert live.order(order.order_number).status == "paid"

    with live.app.test_request_context(base_url=live.url):
        import uuid as uuidlib

        key = str(uuidlib.uuid4())
        said = staff.refund_extra_earning(db.session.get(Order, order.id), submission_key=key)
        assert second["uuid"] in said
        with pytest.raises(staff.ActionError):  # the same submission again: not sent twice
            staff.refund_extra_earning(db.session.get(Order, order.id), submission_key=key)
    at_points = live.points_api("GET", f"/v1/orders/{second['uuid']}").json()["data"]
    assert at_points["order_status"] == "fully_refunded"
    assert live.points_api("GET", f"/v1/orders/{first.uuid}").json()["data"]["order_status"] == "approved"
    after = earning_of(live, order)
    assert (after.state, after.uuid, after.extra_uuid) == ("approved", first.uuid, None)
    with live.app.app_context():
        refunds = db.session.scalars(
            sa.select(PointsApiCall.path).where(PointsApiCall.order_id == order.id, PointsApiCall.path.like("%/refund"))
        ).all()
    assert refunds == [f"/v1/orders/{second['uuid']}/refund"]  # on the order's timeline, once


@pytest.mark.parametrize("part", [None, "half"])
def test_refunding_a_collected_order_reverses_its_points_at_points(live, part):
    """Cash back to the shopper, then the refund call on the earning order: in full the points are
    reversed; in part Points keeps what the rest still earns."""
    import uuid as uuidlib
    from decimal import Decimal

    order, _ = cash_order(live)
    earning = collect_and_approve(live, order)
    assert earning.state == "approved"
    amount = None if part is None else (order.total / 2).quantize(Decimal("0.01"))
    with live.app.test_request_context(base_url=live.url):
        staff.refund_order(db.session.get(Order, order.id), amount, "Returned", submission_key=str(uuidlib.uuid4()))
    live.drain_webhooks()
    at_points = live.points_api("GET", f"/v1/orders/{earning.uuid}").json()["data"]
    after, shop_order = earning_of(live, order), live.order(order.order_number)
    with live.app.app_context():
        refund_calls = db.session.scalars(
            sa.select(PointsApiCall.path).where(PointsApiCall.order_id == order.id, PointsApiCall.path.like("%/refund"))
        ).all()
    assert refund_calls == [f"/v1/orders/{earning.uuid}/refund"]
    if part is None:
        assert at_points["order_status"] == "fully_refunded"
        assert (after.state, after.left_points, shop_order.status) == ("reversed", 0, "refunded")
    else:
        assert at_points["order_status"] == "partially_refunded"
        assert after.state == "approved" and 0 < after.left_points < earning.total_points
        assert shop_order.status == "partially_refunded"


def test_three_senders_at_once_never_have_two_earnings_in_flight(live):
    """Points answers 429 to a second earning call while one runs: three sender threads sending
    five collected orders together must never draw one (the partial unique index on ``sending``)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    placed = [cash_order(live)[0] for _ in range(5)]
    with live.app.test_request_context(base_url=live.url):
        for order in placed:
            staff.mark_collected(db.session.get(Order, order.id))
    together = Barrier(3)

    def sender(_):
        with live.app.test_request_context(base_url=live.url):
            together.wait()
            lines = earn.send_due()
            db.session.remove()
            return lines

    with ThreadPoolExecutor(3) as pool:
        sent = [line for lines in pool.map(sender, range(3)) for line in lines]
    assert len(sent) == 5
    ids = [order.id for order in placed]
    with live.app.app_context():
        answers = db.session.scalars(
            sa.select(PointsApiCall.response_status).where(
                PointsApiCall.order_id.in_(ids), PointsApiCall.path == "/v1/orders/earning"
            )
        ).all()
        states = db.session.scalars(sa.select(PointsEarning.state).where(PointsEarning.order_id.in_(ids))).all()
    assert sorted(answers) == [200] * 5  # no 429: never two calls at once
    assert states == ["approved"] * 5
