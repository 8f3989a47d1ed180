"""The sandbox-only control endpoints the storefront's tests and demos lean on."""

import re

import pytest

from .conftest import CHECKOUT, SK


def start(client, **fields):
    response = client.post(
        CHECKOUT,
        json={"total_price": 100, "order_number": "C-1", "callback_url": "http://shop.test/r?order=t9", **fields},
    )
    return response.json["data"]["checkout_url"].rsplit("/", 1)[-1]


def balance(client, phone):
    html = client.get("/_control/").get_data(as_text=True)
    return int(re.search(rf"<td>{phone}</td><td>([\d,]+)</td>", html).group(1).replace(",", ""))


def test_complete_plays_a_shopper_with_points_and_card(sandbox_client, sandbox_deliveries):
    session_id = start(sandbox_client)
    response = sandbox_client.post(
        f"/_control/sessions/{session_id}/complete",
        json={"phone_number": "500000001", "points": 500, "card_number": "4111111111111111"},
    )
    body = response.json
    assert response.status_code == 200 and body["order_status"] == "approved"
    assert body["redirect_url"] == f"http://shop.test/r?order=t9&order_uuid={body['order_uuid']}&status=approved"
    assert balance(sandbox_client, "500000001") == 5000 - 500 + 85  # 15 SAR in points, 85 SAR by card
    [(event, order)] = sandbox_deliveries()
    assert (event, order["total_points"]) == ("approved", 500)


def test_complete_with_a_declined_card_cancels_and_gives_the_points_back(sandbox_client, sandbox_deliveries):
    session_id = start(sandbox_client)
    body = sandbox_client.post(
        f"/_control/sessions/{session_id}/complete",
        json={"phone_number": "500000001", "points": 500, "card_number": "4000000000000002"},
    ).json
    assert body["order_status"] == "cancelled" and body["redirect_url"].endswith("status=cancelled")
    assert [(e, o["reason"]) for e, o in sandbox_deliveries()] == [("cancelled", "payment declined")]
    assert balance(sandbox_client, "500000001") == 5000


def test_complete_with_enough_points_needs_no_card(sandbox_client):
    session_id = start(sandbox_client)
    body = sandbox_client.post(
        f"/_control/sessions/{session_id}/complete", json={"phone_number": "0500000001", "points": 99999}
    ).json
    assert body["order_status"] == "approved" and balance(sandbox_client, "500000001") == 5000 - 3334


def test_complete_registers_an_unknown_phone(sandbox_client):
    session_id = start(sandbox_client)
    body = sandbox_client.post(f"/_control/sessions/{session_id}/complete", json={"phone_number": "500000003"}).json
    assert body["order_status"] == "approved" and balance(sandbox_client, "500000003") == 100


@pytest.mark.parametrize(
    "body, message",
    [
        ({"phone_number": "123"}, "This mobile number is not valid: enter a Saudi mobile starting with 5"),
        ({"phone_number": "500000002", "points": 10}, "Your balance is not enough (0 points)"),
    ],
)
def test_complete_reports_a_shopper_mistake(sandbox_client, body, message):
    session_id = start(sandbox_client)
    response = sandbox_client.post(f"/_control/sessions/{session_id}/complete", json=body)
    assert response.status_code == 400 and response.json["error"] == message


def test_a_finished_session_cannot_be_completed_again(sandbox_client):
    session_id = start(sandbox_client)
    sandbox_client.post(f"/_control/sessions/{session_id}/complete", json={"phone_number": "500000001"})
    again = sandbox_client.post(f"/_control/sessions/{session_id}/complete", json={"phone_number": "500000001"})
    assert again.status_code == 400 and "at the done step" in again.json["error"]
    assert sandbox_client.post("/_control/sessions/nope/complete", json={}).status_code == 404


def test_session_state_and_forced_expiry(sandbox_client, sandbox_deliveries):
    session_id = start(sandbox_client, phone_number="500000001")
    state = sandbox_client.get(f"/_control/sessions/{session_id}").json
    assert (state["state"], state["step"], state["order_status"]) == ("open", "verify", "new")
    expired = sandbox_client.post(f"/_control/sessions/{session_id}/expire").json
    assert (expired["state"], expired["order_status"]) == ("expired", "cancelled")
    assert [(e, o["reason"]) for e, o in sandbox_deliveries()] == [("cancelled", "checkout expired")]


def test_reset_wipes_orders_and_chaos_and_restores_the_shoppers(sandbox_client):
    session_id = start(sandbox_client)
    sandbox_client.post(f"/_control/sessions/{session_id}/complete", json={"phone_number": "500000003", "points": 0})
    sandbox_client.post(
        "/_control/chaos", json={"webhook_duplicate": True, "checkout_fail_next": 2, "checkout_fail_status": 500}
    )
    assert sandbox_client.post("/_control/reset").json == {"reset": True}
    assert sandbox_client.get("/_control/sessions/" + session_id).status_code == 404
    assert sandbox_client.get("/_control/chaos").json == {
        "webhook_delay_seconds": 0.0,
        "webhook_duplicate": False,
        "webhook_reverse": False,
        "webhook_drop_next": 0,
        "checkout_fail_status": None,
        "checkout_fail_next": 0,
        "checkout_delay_seconds": 0.0,
        "callback_params": True,
        "forbid_merchant": False,
        "forbid_ip": False,
        "earning_fail_status": None,
        "earning_fail_next": 0,
        "earning_retry_after": 1,
        "earning_hang_seconds": 0.0,
        "earning_hang_next": 0,
        "earning_delay_seconds": 0.0,
    }
    assert sandbox_client.get("/_control/deliveries").json["deliveries"] == []
    assert "500000003" not in sandbox_client.get("/_control/").get_data(as_text=True)
    assert sandbox_client.get("/api/v1/webhooks", headers={"x-api-key": SK}).json["meta"]["total"] == 1


def test_the_dashboard_form_needs_csrf_but_json_does_not(sandbox_client):
    assert sandbox_client.post("/_control/chaos", data={"webhook_drop_next": "1"}).status_code == 400
    assert sandbox_client.post("/_control/chaos", json={"webhook_drop_next": 1}).status_code == 200
    page = sandbox_client.get("/_control/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = sandbox_client.post(
        "/_control/chaos", data={"csrf_token": token, "webhook_drop_next": "3", "webhook_duplicate": "on"}
    )
    assert response.status_code == 303
    chaos = sandbox_client.get("/_control/chaos").json
    assert (chaos["webhook_drop_next"], chaos["webhook_duplicate"], chaos["webhook_reverse"]) == (3, True, False)


def test_flush_sends_pending_deliveries_in_the_request(sandbox_client, sandbox_receiver):
    hook = sandbox_client.get("/api/v1/webhooks", headers={"x-api-key": SK}).json["data"][0]
    sandbox_client.patch(
        f"/api/v1/webhooks/{hook['uuid']}", headers={"x-api-key": SK}, json={"url": sandbox_receiver.url + "/hook"}
    )
    session_id = start(sandbox_client)
    sandbox_client.post(f"/_control/sessions/{session_id}/complete", json={"phone_number": "500000001"})
    assert sandbox_client.get("/_control/deliveries").json["outstanding"] == 1
    assert sandbox_client.post("/_control/deliveries/flush").json == {"attempted": 1, "outstanding": 0}
    assert sandbox_receiver.received[0]["path"] == "/hook"
    log = sandbox_client.get("/_control/").get_data(as_text=True)
    assert "delivered" in log and "/hook" in log


def _chaos_rows(app):
    import sqlalchemy as sa

    from points_sandbox.extensions import db
    from points_sandbox.models import Chaos

    with app.app_context():
        return db.session.execute(sa.select(Chaos.id, Chaos.webhook_duplicate, Chaos.checkout_fail_next)).all()


@pytest.mark.parametrize("how", ["fresh start", "after reset"])
def test_the_chaos_row_exists_before_any_request_needs_it(sandbox_config, how):
    """Made lazily, two concurrent first requests both inserted id 1 and one failed with a 500."""
    from points_sandbox import create_app

    from .conftest import _stop

    app = create_app(sandbox_config)
    try:
        if how == "after reset":
            client = app.test_client()
            client.post("/_control/chaos", json={"webhook_duplicate": True, "checkout_fail_next": 2})
            assert client.post("/_control/reset").json == {"reset": True}
        assert _chaos_rows(app) == [(1, False, 0)]
    finally:
        _stop(app)
