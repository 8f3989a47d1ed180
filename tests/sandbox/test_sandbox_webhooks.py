"""Webhook delivery from the background worker to a real listening server: headers, envelope,
retries (non-2xx, timeout, refused), relative URLs, and the chaos switches."""

import socket
import threading
import time

import pytest
import requests
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from .conftest import CHECKOUT, DOCUMENTED_ORDER_FIELDS, PK, SK


def start_checkout(client, **fields):
    body = {
        "total_price": 100,
        "order_number": "PTS-W-1",
        "phone_number": "500000001",
        "metadata": {"cart": "c9"},
        **fields,
    }
    response = client.post(CHECKOUT, json=body)
    assert response.status_code == 200, response.json
    return response.json["data"]["checkout_url"].rsplit("/", 1)[-1]


def complete(client, session_id, **body):
    response = client.post(
        f"/_control/sessions/{session_id}/complete",
        json={"phone_number": "500000001", "points": 0, "card_number": "4111111111111111", **body},
    )
    assert response.status_code == 200, response.json
    return response.json


def drain(client, timeout=5):
    body = client.get(f"/_control/deliveries?wait=1&timeout={timeout}").json
    assert body["drained"], body
    return body["deliveries"]


def test_a_webhook_arrives_with_the_documented_headers_and_envelope(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    order_uuid = complete(client, start_checkout(client))["order_uuid"]
    [hit] = sandbox_receiver.wait_for(1)
    assert hit["path"] == "/webhooks/points"
    assert hit["headers"]["Content-Type"] == "application/json"
    assert hit["headers"]["X-Webhook-Secret"] == "whsec_sandbox_demo"
    assert hit["headers"]["X-Webhook-Event"] == "approved"
    body = hit["json"]
    assert set(body) == {"event", "order", "timestamp"} and body["event"] == "approved"
    assert set(body["order"]) == DOCUMENTED_ORDER_FIELDS
    assert body["order"]["id"] == order_uuid and body["order"]["type"] == "replacing"
    assert body["order"]["metadata"] == {"cart": "c9"} and body["order"]["order_number"] == "PTS-W-1"
    [delivery] = drain(client)
    assert delivery["status"] == "delivered" and delivery["attempts"][0]["status_code"] == 200


def test_a_failing_endpoint_is_tried_three_times_then_given_up(sandbox_live_app, sandbox_receiver):
    sandbox_receiver.script = [(500, 0), (503, 0), (500, 0)]
    client = sandbox_live_app.test_client()
    complete(client, start_checkout(client))
    hits = sandbox_receiver.wait_for(3)
    [delivery] = drain(client)
    assert delivery["status"] == "failed"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 500]
    # The configured delays (0.05 s, then 0.1 s) separate the attempts.
    assert hits[1]["at"] - hits[0]["at"] >= 0.05 and hits[2]["at"] - hits[1]["at"] >= 0.1
    time.sleep(0.3)
    assert len(sandbox_receiver.received) == 3


def test_a_retry_that_succeeds_ends_delivered(sandbox_live_app, sandbox_receiver):
    sandbox_receiver.script = [(500, 0)]
    client = sandbox_live_app.test_client()
    complete(client, start_checkout(client))
    sandbox_receiver.wait_for(2)
    [delivery] = drain(client)
    assert delivery["status"] == "delivered" and [a["status_code"] for a in delivery["attempts"]] == [500, 200]


def test_a_timeout_is_retried(sandbox_live_app, sandbox_receiver):
    sandbox_receiver.script = [(200, 0.6)]  # slower than the 0.3 s timeout of these tests
    client = sandbox_live_app.test_client()
    complete(client, start_checkout(client))
    sandbox_receiver.wait_for(2)
    [delivery] = drain(client)
    assert delivery["attempts"][0]["error"] == "timeout"
    assert delivery["status"] == "delivered" and len(delivery["attempts"]) == 2


def test_a_refused_connection_is_retried_then_fails(sandbox_config, sandbox_live_app):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = sandbox_live_app.test_client()
    hook = client.get("/api/v1/webhooks", headers={"x-api-key": SK}).json["data"][0]
    client.patch(
        f"/api/v1/webhooks/{hook['uuid']}",
        headers={"x-api-key": SK},
        json={"url": f"http://127.0.0.1:{closed_port}/webhooks/points"},
    )
    complete(client, start_checkout(client))
    [delivery] = drain(client)
    assert delivery["status"] == "failed" and len(delivery["attempts"]) == 3
    assert all(a["status_code"] is None and "Connection" in a["error"] for a in delivery["attempts"])


def test_relative_webhook_urls_go_back_to_the_origin_of_the_checkout_call(sandbox_config, sandbox_receiver):
    """Demo mode: the sandbox mounted in the shop's process; the seeded `/webhooks/points`
    comes back to whatever host and port the server runs on."""
    from points_sandbox import create_app

    from .conftest import _stop

    sandbox = create_app({**sandbox_config, "SANDBOX_WEBHOOK_WORKER": True})
    server = make_server(
        "127.0.0.1", 0, DispatcherMiddleware(sandbox_receiver, {"/points-sandbox": sandbox}), threaded=True
    )
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/points-sandbox"
    try:
        response = requests.post(f"{base}/api/v1/orders/checkout/{PK}", json={"total_price": 10, "order_number": "O-1"})
        checkout_url = response.json()["data"]["checkout_url"]
        assert checkout_url.startswith(base + "/checkout/")
        session_id = checkout_url.rsplit("/", 1)[-1]
        requests.post(f"{base}/_control/sessions/{session_id}/complete", json={"phone_number": "500000002"})
        [hit] = sandbox_receiver.wait_for(1)
        assert hit["path"] == "/webhooks/points" and hit["json"]["event"] == "approved"
    finally:
        server.shutdown()
        _stop(sandbox)


def test_two_partial_refunds_are_two_webhooks_told_apart_by_their_amounts(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    order_uuid = complete(client, start_checkout(client, total_price=224), points=1000)["order_uuid"]
    for amount in (20, 10):
        client.post(
            f"/api/v1/orders/{order_uuid}/refund",
            headers={"x-api-key": SK},
            json={"amount": amount, "reason": "returned"},
        )
    hits = sandbox_receiver.wait_for(3)
    first, second = (h["json"]["order"] for h in hits[1:])
    # 1,000 points were redeemed for 30 SAR of 224: refunds return them in proportion.
    assert (first["refund_amount"], first["left_amount"], first["refund_points"], first["left_points"]) == (
        20.0,
        204.0,
        89,
        911,
    )
    assert (second["refund_amount"], second["left_amount"], second["refund_points"]) == (10.0, 194.0, 44)
    assert first["reason"] == "returned" and first["order_status"] == "partially_refunded"
    assert first["updated_at"] <= second["updated_at"]  # to the second: equal within one second


def test_chaos_duplicate_sends_each_event_twice(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    client.post("/_control/chaos", json={"webhook_duplicate": True})
    complete(client, start_checkout(client))
    first, second = sandbox_receiver.wait_for(2)
    assert first["json"] == second["json"]


def test_chaos_drop_loses_the_next_deliveries(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    client.post("/_control/chaos", json={"webhook_drop_next": 1})
    order_uuid = complete(client, start_checkout(client))["order_uuid"]
    client.post(f"/api/v1/orders/{order_uuid}/refund", headers={"x-api-key": SK}, json={})
    [hit] = sandbox_receiver.wait_for(1)
    assert hit["json"]["event"] == "refunded"
    assert [d["status"] for d in drain(client)] == ["delivered", "dropped"]  # newest first
    assert client.get("/_control/chaos").json["webhook_drop_next"] == 0


def test_chaos_delay_holds_deliveries_back(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    client.post("/_control/chaos", json={"webhook_delay_seconds": 0.5})
    started = time.monotonic()
    complete(client, start_checkout(client))
    [hit] = sandbox_receiver.wait_for(1)
    assert hit["at"] - started >= 0.5


def test_chaos_reverse_sends_an_orders_events_newest_first(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    client.post("/_control/chaos", json={"webhook_reverse": True})
    client.post("/_control/merchant", json={"two_step": True})
    complete(client, start_checkout(client))
    hits = sandbox_receiver.wait_for(2)
    assert [h["json"]["event"] for h in hits] == ["captured", "authorized"]


def test_a_lone_event_held_by_reverse_goes_out_when_the_switch_is_turned_off(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    client.post("/_control/chaos", json={"webhook_reverse": True})
    complete(client, start_checkout(client))
    time.sleep(0.2)
    assert sandbox_receiver.received == [] and drain(client)[0]["status"] == "held"
    client.post("/_control/chaos", json={"webhook_reverse": False})
    assert sandbox_receiver.wait_for(1)[0]["json"]["event"] == "approved"


def test_a_deleted_webhook_gets_nothing_more(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    client.post("/_control/chaos", json={"webhook_delay_seconds": 0.3})
    complete(client, start_checkout(client))
    [hook] = client.get("/api/v1/webhooks", headers={"x-api-key": SK}).json["data"]
    client.delete(f"/api/v1/webhooks/{hook['uuid']}", headers={"x-api-key": SK})
    [delivery] = drain(client)
    assert delivery["status"] == "cancelled" and sandbox_receiver.received == []


def test_the_worker_expires_stale_sessions_by_itself(sandbox_live_app, sandbox_receiver):
    from points_sandbox.extensions import db
    from points_sandbox.models import CheckoutSession, utcnow

    client = sandbox_live_app.test_client()
    session_id = start_checkout(client)
    with sandbox_live_app.app_context():
        db.session.get(CheckoutSession, session_id).expires_at = utcnow()
        db.session.commit()
    [hit] = sandbox_receiver.wait_for(1)
    assert (hit["json"]["event"], hit["json"]["order"]["reason"]) == ("cancelled", "checkout expired")


def test_no_request_waits_for_a_slow_webhook_endpoint(sandbox_live_app, sandbox_receiver):
    sandbox_live_app.config["SANDBOX_WEBHOOK_TIMEOUT"] = 10
    endpoint_may_answer = threading.Event()
    sandbox_receiver.script = [(200, endpoint_may_answer)]
    client = sandbox_live_app.test_client()
    complete(client, start_checkout(client))
    assert sandbox_receiver.answered == 0  # the shopper's request is done; the webhook is not
    endpoint_may_answer.set()
    sandbox_receiver.wait_for(1)


class _BrokenOnce:
    """requests.post that raises something send() does not expect, `times` times."""

    def __init__(self, times=1):
        self.left, self.real = times, requests.post

    def __call__(self, *args, **kwargs):
        if self.left:
            self.left -= 1
            raise RuntimeError("unexpected failure inside send()")
        return self.real(*args, **kwargs)


def test_a_send_that_raises_puts_the_delivery_back_to_pending_for_flush(
    sandbox_client, sandbox_app, sandbox_receiver, monkeypatch
):
    from points_sandbox import delivery

    hook = sandbox_client.get("/api/v1/webhooks", headers={"x-api-key": SK}).json["data"][0]
    sandbox_client.patch(
        f"/api/v1/webhooks/{hook['uuid']}", headers={"x-api-key": SK}, json={"url": sandbox_receiver.url + "/hook"}
    )
    complete(sandbox_client, start_checkout(sandbox_client))
    monkeypatch.setattr(delivery.requests, "post", _BrokenOnce())
    with sandbox_app.app_context():
        with pytest.raises(RuntimeError):
            delivery.flush()
    statuses = [d["status"] for d in sandbox_client.get("/_control/deliveries").json["deliveries"]]
    assert statuses == ["pending"]
    assert sandbox_client.post("/_control/deliveries/flush").json == {"attempted": 1, "outstanding": 0}
    assert len(sandbox_receiver.received) == 1


def test_the_worker_retries_a_delivery_whose_send_raised(sandbox_live_app, sandbox_receiver, monkeypatch):
    from points_sandbox import delivery as sender

    monkeypatch.setattr(sender.requests, "post", _BrokenOnce())
    client = sandbox_live_app.test_client()
    complete(client, start_checkout(client))
    [delivery] = drain(client)
    assert delivery["status"] == "delivered" and len(sandbox_receiver.received) == 1
