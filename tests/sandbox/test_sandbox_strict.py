"""Issue 8, "the sandbox never kinder than Points": second-precision timestamps, the trigger and
resend, and the switches that reach what real payloads and answers can be (no callback
parameters, a refund window, the https rule, the documented 403s)."""

import json
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from points_sandbox import models
from points_sandbox.extensions import db
from points_sandbox.models import Order

from .conftest import CHECKOUT, DOCUMENTED_ORDER_FIELDS, SK

AUTH = {"x-api-key": SK}
ORDER = "/v1/orders/{orderUuid}"
LARAVEL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$")
CALLBACK = "http://shop.test/checkout/return?order=tok123"


def api(client, method, path, **kwargs):
    return client.open("/api" + path, method=method, headers=kwargs.pop("headers", AUTH), **kwargs)


def paid_order(client, points=0, **fields):
    """A checkout played to the end by the control endpoint: an `approved` order's uuid."""
    body = {"total_price": 100, "order_number": "PTS-S-1", "callback_url": CALLBACK, **fields}
    session_id = client.post(CHECKOUT, json=body).json["data"]["checkout_url"].rsplit("/", 1)[-1]
    done = client.post(
        f"/_control/sessions/{session_id}/complete", json={"phone_number": "500000001", "points": points}
    ).json
    assert done["order_status"] == "approved", done
    return done["order_uuid"]


def outbox(app):
    """Every delivery's body, oldest first."""
    with app.app_context():
        return [
            json.loads(p) for p in db.session.scalars(sa.select(models.Delivery.payload).order_by(models.Delivery.id))
        ]


def balance(app, phone="500000001"):
    with app.app_context():
        return db.session.scalar(sa.select(models.Shopper.balance).where(models.Shopper.phone == phone))


# --- Timestamps to the second ---------------------------------------------------------------------


def test_every_timestamp_in_resources_and_webhooks_is_to_the_second(sandbox_client, sandbox_app):
    uuid = paid_order(sandbox_client)
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/status", json={"status": "ready_shipping"})
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 10})
    sandbox_client.post("/_control/trigger", json={"event": "low_balance_warning"})
    order = api(sandbox_client, "GET", f"/v1/orders/{uuid}").json["data"]
    hook = api(sandbox_client, "POST", "/v1/webhooks", json={"name": "A", "url": "https://shop.test/a"}).json["data"]
    listed = api(sandbox_client, "GET", "/v1/webhooks").json["data"]
    stamps = [order["created_at"], order["updated_at"], hook["created_at"], hook["updated_at"]]
    stamps += [h[k] for h in listed for k in ("created_at", "updated_at")]
    bodies = outbox(sandbox_app)
    assert [b["event"] for b in bodies] == ["approved", "shipping_status_updated", "refunded", "low_balance_warning"]
    for body in bodies:
        part = body.get("order") or body["merchant"]
        stamps += [body["timestamp"], part["created_at"], part["updated_at"]]
    assert len(stamps) == 4 + 2 * len(listed) + 3 * 4
    assert [s for s in stamps if not LARAVEL.match(s)] == []


class Clock:
    """The clock stamp() reads, set by the test (the sandbox's own microsecond clock elsewhere)."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr(models, "utcnow", lambda: self.now)


def test_two_changes_within_one_second_share_updated_at_and_both_apply(sandbox_client, sandbox_app, monkeypatch):
    uuid = paid_order(sandbox_client)
    clock = Clock(monkeypatch, datetime(2026, 4, 18, 10, 5, 12, 120000))
    first = api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 20}).json["data"]
    clock.now = datetime(2026, 4, 18, 10, 5, 12, 870000)  # 0.75 s later, the same second
    second = api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 30}).json["data"]
    assert first["updated_at"] == second["updated_at"] == "2026-04-18T10:05:12.000000Z"
    refunds = [b["order"] for b in outbox(sandbox_app) if b["event"] == "refunded"]
    assert [(o["updated_at"], o["left_amount"]) for o in refunds] == [
        ("2026-04-18T10:05:12.000000Z", 80.0),
        ("2026-04-18T10:05:12.000000Z", 50.0),
    ]
    assert [b["timestamp"] for b in outbox(sandbox_app)[-2:]] == ["2026-04-18T10:05:12.000000Z"] * 2
    clock.now = datetime(2026, 4, 18, 10, 5, 13, 10)
    third = api(sandbox_client, "POST", f"/v1/orders/{uuid}/status", json={"status": "delivered"}).json["data"]
    assert third["updated_at"] == "2026-04-18T10:05:13.000000Z"
    with sandbox_app.app_context():  # the compare-and-set counts versions, not timestamps
        assert db.session.scalar(sa.select(Order.version)) >= 3


def test_a_stale_copy_is_refused_even_within_the_same_second(sandbox_client, sandbox_app):
    from points_sandbox import orders

    uuid = paid_order(sandbox_client)
    with sandbox_app.app_context():
        stale = db.session.scalar(sa.select(Order).where(Order.uuid == uuid))
        before = stale.updated_at
        with db.engine.begin() as other:  # another thread refunds 60 in the same second
            other.execute(
                sa.update(Order).values(
                    refunded_amount=60, order_status="partially_refunded", version=Order.version + 1, updated_at=before
                )
            )
        with pytest.raises(orders.IllegalMove, match="changed meanwhile"):
            orders.refund(stale, None, None)  # would refund 100 of an order with 40 left
    with sandbox_app.app_context():
        assert db.session.scalar(sa.select(Order.refunded_amount)) == 60


# --- Trigger ------------------------------------------------------------------------------------


def without_clock(resource: dict) -> dict:
    """An order resource less ``since`` ("1 second ago"), which moves with the clock, not the order."""
    return {key: value for key, value in resource.items() if key != "since"}


def trigger(client, **body):
    return client.post("/_control/trigger", json=body)


@pytest.mark.parametrize("event", ["approved", "authorized", "captured", "completed"])
def test_trigger_sends_an_order_event_with_the_order_as_it_is(sandbox_client, sandbox_app, event):
    uuid = paid_order(sandbox_client)
    before = api(sandbox_client, "GET", f"/v1/orders/{uuid}").json["data"]
    response = trigger(sandbox_client, event=event, order_uuid=uuid)
    assert response.status_code == 200
    answer = response.json
    assert (answer["event"], answer["order_uuid"]) == (event, uuid)
    [delivery] = answer["deliveries"]
    assert (delivery["event"], delivery["status"], delivery["order_uuid"]) == (event, "pending", uuid)
    body = json.loads(delivery["payload"])
    assert set(body) == {"event", "order", "timestamp"} and body["event"] == event
    assert set(body["order"]) == DOCUMENTED_ORDER_FIELDS
    assert (body["order"]["id"], body["order"]["order_status"], body["order"]["payment_status"]) == (
        uuid,
        "approved",
        "fully_paid",
    )
    assert outbox(sandbox_app)[-1] == body
    after = api(sandbox_client, "GET", f"/v1/orders/{uuid}").json["data"]
    assert without_clock(after) == without_clock(before)  # nothing changed


def test_trigger_cancelled_carries_the_orders_reason(sandbox_client):
    session_id = (
        sandbox_client.post(CHECKOUT, json={"total_price": 50, "order_number": "PTS-S-2"})
        .json["data"]["checkout_url"]
        .rsplit("/", 1)[-1]
    )
    uuid = sandbox_client.post(f"/_control/sessions/{session_id}/expire").json["order_uuid"]
    [delivery] = trigger(sandbox_client, event="cancelled", order_uuid=uuid).json["deliveries"]
    order = json.loads(delivery["payload"])["order"]
    assert (order["order_status"], order["reason"], order["payment_status"]) == (
        "cancelled",
        "checkout expired",
        "partially_paid",
    )


def test_trigger_refunded_and_shipping_carry_the_present_figures(sandbox_client):
    uuid = paid_order(sandbox_client, points=1000)  # 30 SAR of 100 in points
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 50})
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/status", json={"status": "ready_shipping"})
    [refund] = trigger(sandbox_client, event="refunded", order_uuid=uuid).json["deliveries"]
    order = json.loads(refund["payload"])["order"]
    assert (order["order_status"], order["refund_amount"], order["left_amount"]) == ("partially_refunded", 50.0, 50.0)
    assert (order["refund_points"], order["left_points"]) == (500, 500)
    [shipping] = trigger(sandbox_client, event="shipping_status_updated", order_uuid=uuid).json["deliveries"]
    order = json.loads(shipping["payload"])["order"]
    assert (order["status"], order["status_label"]) == ("ready_shipping", "Ready for shipping")


def test_trigger_auto_refunded_refunds_the_order_as_points_does(sandbox_client, sandbox_app):
    uuid = paid_order(sandbox_client, points=1000)
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 40})  # 400 points back
    assert balance(sandbox_app) == 5000 - 1000 + 70 + 400 - 28  # 70 earned by card, 28 of them reversed
    [delivery] = trigger(sandbox_client, event="auto_refunded", order_uuid=uuid).json["deliveries"]
    body = json.loads(delivery["payload"])
    assert (body["event"], delivery["event"]) == ("auto_refunded", "auto_refunded")
    order = body["order"]
    assert (order["order_status"], order["type"], order["payment_status"]) == (
        "fully_refunded",
        "replacing",
        "fully_paid",
    )
    assert (order["refund_amount"], order["refund_points"], order["reason"]) == (
        60.0,
        600,
        "auto_refund_missing_transaction",
    )
    assert api(sandbox_client, "GET", f"/v1/orders/{uuid}").json["data"]["order_status"] == "fully_refunded"
    assert balance(sandbox_app) == 5000  # every redeemed point back, every earned one reversed
    again = api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={})
    assert again.status_code == 400 and "fully_refunded" in again.json["message"]


def test_trigger_auto_refunded_on_an_unpaid_order_is_a_400(sandbox_client, sandbox_app):
    sandbox_client.post(CHECKOUT, json={"total_price": 50, "order_number": "PTS-S-3"})
    with sandbox_app.app_context():
        uuid = db.session.scalar(sa.select(Order.uuid))
    response = trigger(sandbox_client, event="auto_refunded", order_uuid=uuid)
    assert response.status_code == 400 and "it is new" in response.json["message"]
    assert outbox(sandbox_app) == []


@pytest.mark.parametrize(
    "event, data",
    [
        (
            "low_balance_warning",
            {
                "current_balance": "1500.00",
                "order_points": "200.00",
                "balance_after_order": "1300.00",
                "max_debt_allowed": "5000.00",
            },
        ),
        (
            "debt_exceeded",
            {
                "current_balance": "-4900.00",
                "order_points": "200.00",
                "balance_after_order": "-5100.00",
                "max_debt_allowed": "5000.00",
            },
        ),
    ],
)
def test_trigger_sends_a_merchant_event_without_an_order(sandbox_client, sandbox_app, event, data):
    response = trigger(sandbox_client, event=event)
    assert response.status_code == 200 and response.json["order_uuid"] is None
    [delivery] = response.json["deliveries"]
    body = json.loads(delivery["payload"])
    assert list(body) == ["event", "merchant", "data", "timestamp"] and "order" not in body
    assert body["event"] == event and body["data"] == data
    assert set(body["merchant"]) == {"id", "name", "created_at", "updated_at"}
    assert (body["merchant"]["id"], body["merchant"]["name"]) == (1, "Points Storefront (demo)")
    assert all(isinstance(v, str) for v in body["data"].values())


def test_merchant_event_figures_may_be_given(sandbox_client):
    response = trigger(sandbox_client, event="debt_exceeded", current_balance=-5200, data={"max_debt_allowed": "6000"})
    data = json.loads(response.json["deliveries"][0]["payload"])["data"]
    assert data == {
        "current_balance": "-5200.00",
        "order_points": "200.00",
        "balance_after_order": "-5100.00",
        "max_debt_allowed": "6000.00",
    }
    bad = trigger(sandbox_client, event="debt_exceeded", current_balance="lots")
    assert bad.status_code == 422 and bad.json["errors"] == {
        "current_balance": ["The current balance must be a number."]
    }


def test_a_merchant_event_reaches_a_relative_webhook_url_on_the_triggering_origin(sandbox_client):
    trigger(sandbox_client, event="low_balance_warning")
    sandbox_client.post("/_control/deliveries/flush")
    [delivery] = sandbox_client.get("/_control/deliveries").json["deliveries"]
    assert delivery["attempts"][0]["url"] == "http://localhost/webhooks/points"


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"event": "paid", "order_uuid": "x"}, 422, "event"),
        ({}, 422, "event"),
        ({"event": "captured"}, 422, "order_uuid"),
        ({"event": "captured", "order_uuid": "550e8400-e29b-41d4-a716-446655440000"}, 404, None),
    ],
)
def test_trigger_refuses_what_it_cannot_send(sandbox_client, sandbox_app, body, status, field):
    response = trigger(sandbox_client, **body)
    assert response.status_code == status and response.json["status"] is False
    if field:
        assert list(response.json["errors"]) == [field]
    else:
        assert response.json["message"] == "Order not found."
    assert outbox(sandbox_app) == []


def test_trigger_delivers_over_http_with_the_event_header(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    trigger(client, event="debt_exceeded")
    [hit] = sandbox_receiver.wait_for(1)
    assert hit["headers"]["X-Webhook-Event"] == "debt_exceeded" and hit["json"]["event"] == "debt_exceeded"
    assert "order" not in hit["json"]


# --- Resend -------------------------------------------------------------------------------------


def test_resend_sends_the_same_body_again_as_a_new_delivery(sandbox_client, sandbox_receiver):
    [hook] = api(sandbox_client, "GET", "/v1/webhooks").json["data"]
    api(sandbox_client, "PATCH", f"/v1/webhooks/{hook['uuid']}", json={"url": sandbox_receiver.url + "/hook"})
    paid_order(sandbox_client)
    sandbox_client.post("/_control/deliveries/flush")
    [original] = sandbox_client.get("/_control/deliveries").json["deliveries"]
    response = sandbox_client.post(f"/_control/deliveries/{original['id']}/resend")
    assert response.status_code == 200 and response.json["resent_from"] == original["id"]
    [copy] = response.json["deliveries"]
    assert copy["id"] != original["id"] and copy["payload"] == original["payload"]
    assert (copy["status"], copy["attempts"], copy["event"]) == ("pending", [], "approved")
    assert sandbox_client.post("/_control/deliveries/flush").json == {"attempted": 1, "outstanding": 0}
    assert [h["json"] for h in sandbox_receiver.received] == [json.loads(original["payload"])] * 2
    log = {d["id"]: d for d in sandbox_client.get("/_control/deliveries").json["deliveries"]}
    assert len(log[original["id"]]["attempts"]) == 1 and log[copy["id"]]["status"] == "delivered"


def test_resend_of_an_unknown_delivery_or_a_deleted_webhook_is_refused(sandbox_client):
    assert sandbox_client.post("/_control/deliveries/999/resend").status_code == 404
    paid_order(sandbox_client)
    [hook] = api(sandbox_client, "GET", "/v1/webhooks").json["data"]
    api(sandbox_client, "DELETE", f"/v1/webhooks/{hook['uuid']}")
    [delivery] = sandbox_client.get("/_control/deliveries").json["deliveries"]
    response = sandbox_client.post(f"/_control/deliveries/{delivery['id']}/resend")
    assert response.status_code == 409 and "deleted" in response.json["message"]
    assert len(sandbox_client.get("/_control/deliveries").json["deliveries"]) == 1


# --- Switches -----------------------------------------------------------------------------------


def test_without_callback_params_the_return_is_the_callback_url_as_given(
    sandbox_client, sandbox_checkout, sandbox_shopper
):
    assert sandbox_client.post("/_control/chaos", json={"callback_params": False}).json["callback_params"] is False
    session_id, _ = sandbox_checkout()
    done = sandbox_client.post(f"/_control/sessions/{session_id}/complete", json={"phone_number": "500000001"}).json
    assert done["order_status"] == "approved" and done["redirect_url"] == CALLBACK
    page = sandbox_shopper(session_id).open().get_data(as_text=True)  # the done page's link
    assert 'href="http://shop.test/checkout/return?order=tok123"' in page and "order_uuid" not in page
    abandoned, _ = sandbox_checkout(order_number="PTS-2026-000002")
    shopper = sandbox_shopper(abandoned)
    shopper.open()
    assert shopper.post("close", follow=False).location == CALLBACK


def test_callback_params_are_on_by_default_and_after_reset(sandbox_client, sandbox_checkout):
    sandbox_client.post("/_control/chaos", json={"callback_params": False})
    sandbox_client.post("/_control/reset")
    session_id, uuid = sandbox_checkout()
    done = sandbox_client.post(f"/_control/sessions/{session_id}/complete", json={"phone_number": "500000001"}).json
    assert done["redirect_url"] == f"{CALLBACK}&order_uuid={uuid}&status=approved"


def test_a_refund_past_the_window_is_refused(sandbox_client, sandbox_contract, sandbox_app):
    uuid = paid_order(sandbox_client)
    assert sandbox_client.post("/_control/merchant", json={"refund_window_days": 0}).json == {
        "two_step": False,
        "refund_window_days": 0,
        "earn_points_per_sar": 10.0,
        "earning_enabled": True,
    }
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 10})
    assert response.status_code == 400
    assert sandbox_contract(response, ORDER + "/refund", "post")["message"] == "Refund not allowed"
    assert api(sandbox_client, "GET", f"/v1/orders/{uuid}").json["data"]["order_status"] == "approved"
    assert [b["event"] for b in outbox(sandbox_app)] == ["approved"]


def test_the_refund_window_counts_days_from_settlement(sandbox_client, sandbox_app):
    uuid = paid_order(sandbox_client)
    sandbox_client.post("/_control/merchant", json={"refund_window_days": 3})
    assert api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 10}).status_code == 200
    with sandbox_app.app_context():  # settled four days ago
        db.session.execute(sa.update(Order).values(settled_at=models.utcnow() - timedelta(days=4)))
        db.session.commit()
    refused = api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 10})
    assert (refused.status_code, refused.json["message"]) == (400, "Refund not allowed")
    sandbox_client.post("/_control/merchant", json={"refund_window_days": None})  # off again
    assert api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 10}).status_code == 200


@pytest.mark.parametrize(
    "value, message",
    [("abc", "The refund window days must be an integer."), (-1, "The refund window days must be at least 0.")],
)
def test_the_refund_window_must_be_a_whole_number_of_days(sandbox_client, value, message):
    response = sandbox_client.post("/_control/merchant", json={"refund_window_days": value, "two_step": True})
    assert response.status_code == 422 and response.json["errors"] == {"refund_window_days": [message]}
    assert sandbox_client.post("/_control/merchant", json={}).json == {
        "two_step": False,
        "refund_window_days": None,
        "earn_points_per_sar": 10.0,
        "earning_enabled": True,
    }


def test_shipping_updates_go_on_after_a_partial_refund(sandbox_client, sandbox_contract):
    uuid = paid_order(sandbox_client)
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": 10})
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}/status", json={"status": "ready_shipping"})
    data = sandbox_contract(response, ORDER + "/status", "post")["data"]
    assert (data["order_status"], data["status"]) == ("partially_refunded", 3)
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={})
    refused = api(sandbox_client, "POST", f"/v1/orders/{uuid}/status", json={"status": "delivered"})
    assert refused.status_code == 400
    assert sandbox_contract(refused, ORDER + "/status", "post")["message"] == (
        "Shipping status cannot be updated: the order is fully_refunded; only approved, captured or "
        "partially refunded orders can be shipped."
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.test/hooks",
        "http://10.0.0.5/hooks",
        "http://127.0.0.1.evil.test/h",
        "http://localhost.evil.test/h",
        "http://[::2]/h",
    ],
)
def test_a_webhook_url_must_be_https_unless_loopback(sandbox_client, sandbox_contract, url):
    created = api(sandbox_client, "POST", "/v1/webhooks", json={"name": "A", "url": url})
    assert created.status_code == 422
    assert sandbox_contract(created, "/v1/webhooks", "post")["errors"] == {
        "url": ["The url must start with one of the following: https://."]
    }
    [hook] = api(sandbox_client, "GET", "/v1/webhooks").json["data"]
    for method in ("PUT", "PATCH"):
        changed = api(sandbox_client, method, f"/v1/webhooks/{hook['uuid']}", json={"url": url})
        assert changed.status_code == 422 and list(changed.json["errors"]) == ["url"]
    assert api(sandbox_client, "GET", "/v1/webhooks").json["meta"]["total"] == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.test/hooks",
        "http://127.0.0.1:5000/webhooks/points",
        "http://localhost/hooks",
        "http://LOCALHOST:8000/h",
        "http://[::1]:8000/hooks",
    ],
)
def test_https_and_loopback_webhook_urls_are_accepted(sandbox_client, url):
    created = api(sandbox_client, "POST", "/v1/webhooks", json={"name": "A", "url": url})
    assert created.status_code == 200 and created.json["data"]["url"] == url


PRIVATE = [
    ("GET", ""),
    ("POST", "/status"),
    ("POST", "/cancel"),
    ("POST", "/refund"),
    ("POST", "/complete"),
    ("POST", "/authorize"),
    ("POST", "/capture"),
    ("GET", "/v1/webhooks"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks/{w}"),
    ("PUT", "/v1/webhooks/{w}"),
    ("PATCH", "/v1/webhooks/{w}"),
    ("DELETE", "/v1/webhooks/{w}"),
]


@pytest.mark.parametrize(
    "switch, message",
    [
        ("forbid_merchant", "Merchant is not allowed to perform this action."),
        ("forbid_ip", "Your IP address is not allowed to access this API."),
    ],
)
@pytest.mark.parametrize("method, path", PRIVATE)
def test_the_403_switches_refuse_every_private_call(sandbox_client, sandbox_app, switch, message, method, path):
    uuid = paid_order(sandbox_client)
    [hook] = api(sandbox_client, "GET", "/v1/webhooks").json["data"]
    path = path.replace("{w}", hook["uuid"]) if path.startswith("/v1") else f"/v1/orders/{uuid}{path}"
    sandbox_client.post("/_control/chaos", json={switch: True})
    response = api(sandbox_client, method, path, json={"name": "B", "url": "https://shop.test/b", "status": "new"})
    assert response.status_code == 403
    assert response.json == {"status": False, "message": message, "appended_data": {}}
    wrong_key = api(sandbox_client, method, path, headers={"x-api-key": "sk_wrong"}, json={})
    assert wrong_key.status_code == 400  # the key is checked first
    with sandbox_app.app_context():  # nothing changed
        assert db.session.scalar(sa.select(Order.order_status)) == "approved"
    assert len(api(sandbox_client, "GET", "/v1/webhooks").json.get("data") or []) == 0  # still refused
    sandbox_client.post("/_control/chaos", json={switch: False})
    assert api(sandbox_client, "GET", "/v1/webhooks").json["meta"]["total"] == 1


def test_forbid_merchant_refuses_the_checkout_and_forbid_ip_does_not(sandbox_client, sandbox_contract):
    body = {"total_price": 10, "order_number": "PTS-S-9"}
    sandbox_client.post("/_control/chaos", json={"forbid_merchant": True})
    refused = sandbox_client.post(CHECKOUT, json=body)
    assert refused.status_code == 403
    assert sandbox_contract(refused, "/v1/orders/checkout/{publicKey}", "post")["message"] == (
        "Merchant is not allowed to perform this action."
    )
    sandbox_client.post("/_control/chaos", json={"forbid_merchant": False, "forbid_ip": True})
    assert sandbox_client.post(CHECKOUT, json=body).status_code == 200  # exempt from IP whitelisting (§10.5)


def test_reset_turns_every_new_switch_back(sandbox_client):
    sandbox_client.post("/_control/chaos", json={"callback_params": False, "forbid_merchant": True, "forbid_ip": True})
    sandbox_client.post("/_control/merchant", json={"refund_window_days": 5})
    sandbox_client.post("/_control/reset")
    chaos = sandbox_client.get("/_control/chaos").json
    assert (chaos["callback_params"], chaos["forbid_merchant"], chaos["forbid_ip"]) == (True, False, False)
    assert sandbox_client.post("/_control/merchant", json={}).json["refund_window_days"] is None
