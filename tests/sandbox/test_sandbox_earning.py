"""`POST /v1/orders/earning` against the OpenAPI file: approved for a known phone, pending for an
unknown one until the control page activates it, the documented 400/403/422, the per-merchant
lock's 429 (two real concurrent calls to a served sandbox), refunds reversing the points, the
`approved` webhook with `type: earning`, and the earning chaos switches."""

import threading
import time

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from points_sandbox import create_app
from points_sandbox.extensions import db
from points_sandbox.models import Shopper

from .conftest import DOCUMENTED_ORDER_FIELDS, SK, _stop

EARNING = "/api/v1/orders/earning"
AUTH = {"x-api-key": SK}
ENGLISH = {"Accept-Language": "en"}  # the control page's words checked here are its English ones


def sale(**fields):
    return {
        "phone_number": "0500000001",
        "total_price": 115,
        "order_number": "PTS-2026-000021",
        "products": [
            {"product_name": "Cappuccino", "product_price": 18.5, "quantity": 2},
            {"product_name": "Croissant", "product_price": 39, "quantity": 2},
        ],
        "metadata": {"channel": "web"},
        **fields,
    }


def balance(client, phone):
    with client.application.app_context():
        return db.session.scalar(sa.select(Shopper.balance).where(Shopper.phone == phone))


def earn(client, contract, status=200, **fields):
    response = client.post(EARNING, json=sale(**fields), headers=AUTH)
    assert response.status_code == status, response.json
    return contract(response, "/v1/orders/earning", "post")


def test_a_known_phone_gets_an_approved_earning_order_and_its_points(
    sandbox_client, sandbox_contract, sandbox_deliveries
):
    data = earn(sandbox_client, sandbox_contract)["data"]
    assert (data["type"], data["order_status"], data["total_points"]) == (1, "approved", 1150)
    assert data["order_number"] == "PTS-2026-000021" and data["total_price"] == 115.0
    assert data["metadata"] == {"channel": "web"} and len(data["items"]) == 2
    assert balance(sandbox_client, "500000001") == 5000 + 1150
    [(event, order)] = sandbox_deliveries()
    assert event == "approved" and set(order) == DOCUMENTED_ORDER_FIELDS
    assert (order["id"], order["type"], order["total_points"]) == (data["uuid"], "earning", 1150)
    assert (order["order_status"], order["payment_status"]) == ("approved", "fully_paid")
    fetched = sandbox_client.get(f"/api/v1/orders/{data['uuid']}", headers=AUTH)
    assert sandbox_contract(fetched, "/v1/orders/{orderUuid}", "get")["data"]["total_points"] == 1150


def test_points_are_the_total_times_the_merchants_rate_rounded_down(sandbox_client, sandbox_contract):
    assert (
        sandbox_client.post("/_control/merchant", json={"earn_points_per_sar": 2.5}).json["earn_points_per_sar"] == 2.5
    )
    assert earn(sandbox_client, sandbox_contract, total_price="99.99")["data"]["total_points"] == 249  # 249.975


def test_an_unknown_phone_gets_a_pending_earning_until_activation(sandbox_client, sandbox_contract, sandbox_deliveries):
    response = sandbox_client.post(EARNING, json=sale(phone_number="500000003"), headers=AUTH)
    assert response.status_code == 200
    # The file's oneOf cannot tell this body from an OrderResponse (whose fields are all
    # optional), so it is checked against PendingEarningResponse itself.
    assert not list(sandbox_contract.schema("PendingEarningResponse").iter_errors(response.json))
    pending = response.json["data"]
    assert pending["pending_client_activation"] is True
    assert set(pending["pending_earning_order"]) == {"id", "merchant_order_number", "total_price", "total_points"}
    assert pending["pending_earning_order"]["total_points"] == 1150
    assert pending["pending_earning_order"]["merchant_order_number"] == "PTS-2026-000021"
    second = sale(phone_number="500000003", order_number="PTS-2026-000022", total_price=10)
    assert sandbox_client.post(EARNING, json=second, headers=AUTH).json["data"]["pending_client_activation"] is True
    assert sandbox_deliveries() == [] and balance(sandbox_client, "500000003") is None
    page = sandbox_client.get("/_control/", headers=ENGLISH).get_data(as_text=True)
    assert 'data-testid="activate-500000003"' in page and "pending activation" in page

    activated = sandbox_client.post("/_control/shoppers/500000003/activate")
    assert activated.status_code == 200
    assert activated.json["balance"] == 1150 + 100
    assert [a["order_number"] for a in activated.json["approved"]] == ["PTS-2026-000021", "PTS-2026-000022"]
    events = sandbox_deliveries()
    assert [(e, o["type"], o["order_status"], o["total_points"]) for e, o in events] == [
        ("approved", "earning", "approved", 1150),
        ("approved", "earning", "approved", 100),
    ]
    assert balance(sandbox_client, "500000003") == 1250
    again = sandbox_client.post("/_control/shoppers/500000003/activate")
    assert again.status_code == 400 and "already has an active account" in again.json["message"]
    # From now on the phone earns at once.
    assert earn(sandbox_client, sandbox_contract, phone_number="500000003")["data"]["order_status"] == "approved"


def test_activation_from_the_control_page_says_what_it_did(sandbox_client):
    sandbox_client.post(EARNING, json=sale(phone_number="512345678"), headers=AUTH)
    page = sandbox_client.get("/_control/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert sandbox_client.post("/_control/shoppers/512345678/activate").json["balance"] == 1150  # bare POST: JSON
    bad = sandbox_client.post("/_control/shoppers/12345/activate")
    assert bad.status_code == 422 and bad.json["errors"] == {"phone_number": ["The phone number format is invalid."]}
    sandbox_client.post(EARNING, json=sale(phone_number="512345679"), headers=AUTH)
    assert sandbox_client.post("/_control/shoppers/512345679/activate", data={"csrf_token": "x"}).status_code == 400
    response = sandbox_client.post("/_control/shoppers/512345679/activate", data={"csrf_token": token}, headers=ENGLISH)
    assert response.status_code == 303
    flash = sandbox_client.get("/_control/", headers=ENGLISH).get_data(as_text=True)
    assert "Shopper 512345679 activated: 1 pending earning(s) approved, balance 1,150 points." in flash


def test_the_same_order_number_twice_makes_two_earning_orders(sandbox_client, sandbox_contract):
    first = earn(sandbox_client, sandbox_contract)["data"]
    second = earn(sandbox_client, sandbox_contract)["data"]
    assert first["uuid"] != second["uuid"]
    assert balance(sandbox_client, "500000001") == 5000 + 2 * 1150


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "sk_wrong"}])
def test_a_missing_or_wrong_key_is_a_400(sandbox_client, sandbox_contract, headers):
    response = sandbox_client.post(EARNING, json=sale(), headers=headers)
    assert response.status_code == 400
    assert sandbox_contract(response, "/v1/orders/earning", "post")["message"] == "Invalid or inactive API key"


def test_a_merchant_not_allowed_to_earn_gets_the_documented_403(sandbox_client, sandbox_contract):
    sandbox_client.post("/_control/merchant", json={"earning_enabled": False})
    body = earn(sandbox_client, sandbox_contract, status=403)
    assert body == {"status": False, "message": "Merchant is not allowed to create earning orders", "appended_data": {}}
    assert balance(sandbox_client, "500000001") == 5000


@pytest.mark.parametrize(
    "fields, errors",
    [
        (
            {"phone_number": None, "total_price": None, "order_number": None, "products": None},
            {
                "phone_number": ["The phone number field is required."],
                "total_price": ["The total price field is required."],
                "products": ["The products field is required."],
                "order_number": ["The order number field is required."],
            },
        ),
        ({"products": []}, {"products": ["The products field is required."]}),
        ({"phone_number": "05 0000 0001"}, {"phone_number": ["The phone number format is invalid."]}),
        ({"total_price": -1}, {"total_price": ["The total price must be at least 0."]}),
        (
            {"products": [{"product_name": "Tea", "product_price": "x", "quantity": 0}]},
            {
                "products.0.product_price": ["The product price must be a number."],
                "products.0.quantity": ["The quantity must be at least 1."],
            },
        ),
        ({"name": "n" * 256}, {"name": ["The name must not be greater than 255 characters."]}),
    ],
)
def test_validation_errors_are_laravels_in_dot_notation(sandbox_client, sandbox_contract, fields, errors):
    body = earn(sandbox_client, sandbox_contract, status=422, **fields)
    assert body["errors"] == errors
    first = next(iter(errors.values()))[0]
    rest = sum(len(m) for m in errors.values()) - 1
    assert body["message"] == (first if not rest else f"{first} (and {rest} more error{'s' if rest > 1 else ''})")


def test_a_refund_of_an_earning_order_reverses_its_points(sandbox_client, sandbox_contract, sandbox_deliveries):
    uuid = earn(sandbox_client, sandbox_contract, total_price=100)["data"]["uuid"]  # 1,000 points
    response = sandbox_client.post(f"/api/v1/orders/{uuid}/refund", json={"amount": 25, "reason": "x"}, headers=AUTH)
    data = sandbox_contract(response, "/v1/orders/{orderUuid}/refund", "post")["data"]
    assert data["order_status"] == "partially_refunded"
    assert balance(sandbox_client, "500000001") == 5000 + 1000 - 250
    sandbox_client.post(f"/api/v1/orders/{uuid}/refund", json={}, headers=AUTH)
    assert balance(sandbox_client, "500000001") == 5000
    refunds = [o for e, o in sandbox_deliveries() if e == "refunded"]
    assert [(o["type"], o["refund_points"], o["left_points"], o["left_amount"]) for o in refunds] == [
        ("earning", 250, 750, 75.0),
        ("earning", 750, 0, 0.0),
    ]
    assert refunds[-1]["order_status"] == "fully_refunded"


def test_an_earning_order_cannot_be_completed(sandbox_client, sandbox_contract):
    uuid = earn(sandbox_client, sandbox_contract)["data"]["uuid"]
    response = sandbox_client.post(f"/api/v1/orders/{uuid}/complete", headers=AUTH)
    assert response.status_code == 400 and response.json["message"] == "Only replacing orders can be completed"


@pytest.mark.parametrize("status, message", [(429, "Too many concurrent requests for the same merchant"), (500, None)])
def test_chaos_fails_the_next_earning_calls(sandbox_client, sandbox_contract, status, message):
    sandbox_client.post(
        "/_control/chaos", json={"earning_fail_status": status, "earning_fail_next": 2, "earning_retry_after": 7}
    )
    for _ in range(2):
        response = sandbox_client.post(EARNING, json=sale(), headers=AUTH)
        assert response.status_code == status
        if status == 429:
            sandbox_contract(response, "/v1/orders/earning", "post")
            assert response.json["message"] == message and response.headers["Retry-After"] == "7"
        else:
            assert response.json == {"status": False, "message": "Server Error", "appended_data": {}}
    assert balance(sandbox_client, "500000001") == 5000  # nothing was made
    assert earn(sandbox_client, sandbox_contract)["data"]["order_status"] == "approved"


def test_chaos_switches_are_validated(sandbox_client):
    response = sandbox_client.post("/_control/chaos", json={"earning_fail_status": 503, "earning_hang_seconds": "5s"})
    assert response.status_code == 422
    assert response.json["errors"] == {
        "earning_fail_status": ["The selected earning fail status is invalid."],
        "earning_hang_seconds": ["The earning hang seconds must be a number."],
    }
    bad = sandbox_client.post("/_control/merchant", json={"earn_points_per_sar": "ten"})
    assert bad.status_code == 422 and bad.json["errors"] == {
        "earn_points_per_sar": ["The earn points per sar must be a number."]
    }


# --- Against a served sandbox: real concurrent calls, real webhooks -----------------------------


@pytest.fixture
def served(sandbox_config, sandbox_receiver):
    app = create_app(
        {
            **sandbox_config,
            "SANDBOX_WEBHOOK_WORKER": True,
            "SANDBOX_WEBHOOK_URL_OVERRIDE": sandbox_receiver.url + "/webhooks/points",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    _stop(app)


def test_a_second_earning_call_while_one_is_in_progress_gets_429(served):
    requests.post(served + "/_control/chaos", json={"earning_delay_seconds": 1.0})
    answers = {}

    def call(name):
        answers[name] = requests.post(served + EARNING, json=sale(order_number=name), headers=AUTH, timeout=10)

    first = threading.Thread(target=call, args=("first",))
    first.start()
    time.sleep(0.3)  # the first call holds the lock now
    call("second")
    first.join()
    assert answers["first"].status_code == 200 and answers["first"].json()["data"]["order_status"] == "approved"
    assert answers["second"].status_code == 429
    assert answers["second"].json() == {
        "status": False,
        "message": "Too many concurrent requests for the same merchant",
        "appended_data": {},
    }
    # The lock is released with the answer: the next call goes through.
    assert requests.post(served + EARNING, json=sale(order_number="third"), headers=AUTH).status_code == 200


def test_a_hanging_earning_call_still_makes_the_order_and_its_webhook(served, sandbox_receiver):
    requests.post(served + "/_control/chaos", json={"earning_hang_seconds": 2, "earning_hang_next": 1})
    with pytest.raises(requests.Timeout):
        requests.post(served + EARNING, json=sale(), headers=AUTH, timeout=0.5)
    [hit] = sandbox_receiver.wait_for(1)
    assert hit["headers"]["X-Webhook-Event"] == "approved"
    assert (hit["json"]["order"]["type"], hit["json"]["order"]["total_points"]) == ("earning", 1150)
    time.sleep(1.7)  # the hang is over: the lock is free again, and only the next call hung
    started = time.monotonic()
    assert requests.post(served + EARNING, json=sale(), headers=AUTH, timeout=5).status_code == 200
    assert time.monotonic() - started < 1
