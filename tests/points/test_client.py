"""PointsClient on the wire (requests-mock), and the CheckoutRequest body the shop sends."""

import json
import logging
from decimal import Decimal

import pytest
import requests

from storefront.models import Order, OrderLine
from storefront.points import client as points
from storefront.points.checkout import checkout_body
from storefront.points.client import CallRecord, PointsClient, PointsError, PointsOrder

BASE = "https://points.test/api"
PUBLIC_KEY = "pk_test_public_key"
PRIVATE_KEY = "sk_test_private_9f8e7d6c5b4a"
TIMEOUT = 7.5
UUID = "550e8400-e29b-41d4-a716-446655440000"
ORDER_URL = f"{BASE}/v1/orders/{UUID}"
CHECKOUT_URL = f"{BASE}/v1/orders/checkout/{PUBLIC_KEY}"
WEBHOOKS_URL = f"{BASE}/v1/webhooks"

ORDER = {
    "id": 42,
    "uuid": UUID,
    "reference_number": "REF-2026-001234",
    "order_status": "approved",
    "order_number": "PTS-2026-000123",
    "type": 2,
    "total_price": 150.5,
    "status_label": "Delivered",
}
WEBHOOK = {
    "uuid": "wh-1",
    "merchant_id": 123,
    "name": "Shop",
    "url": "https://shop.test/webhooks/points",
    "secret": "whsec_from_points_0123456789",
}
CHECKOUT_BODY = {
    "order_number": "PTS-2026-000123",
    "total_price": 65.5,
    "phone_number": "512345678",
    "name": "Sara",
    "callback_url": "https://shop.test/checkout/callback?order=tok",
    "products": [{"product_name": "Dates", "product_price": 32.75, "quantity": 2}],
    "shipping_address": {"city": "Riyadh", "line1": "King Fahd Rd 1"},
    "metadata": {"cart_id": 7, "channel": "web", "shop_order_id": 123},
}


def envelope(data):
    return {"status": True, "message": "", "appended_data": {}, "data": data}


def error_envelope(message, **extra):
    return {"status": False, "message": message, "appended_data": {}, **extra}


@pytest.fixture
def calls():
    return []


@pytest.fixture
def client(calls):
    return PointsClient(BASE, PUBLIC_KEY, PRIVATE_KEY, timeout=TIMEOUT, recorder=calls.append)


# Every call but the checkout: (call, method, url, JSON body sent or None, resource answered).
PRIVATE_CALLS = {
    "get_order": (lambda c: c.get_order(UUID), "GET", ORDER_URL, None, ORDER),
    "shipping_status": (
        lambda c: c.update_shipping_status(UUID, "delivered"),
        "POST",
        ORDER_URL + "/status",
        {"status": "delivered"},
        ORDER,
    ),
    "shipping_status_en_label": (
        lambda c: c.update_shipping_status(UUID, "delivery_is_in_progress", name_en="Out for delivery"),
        "POST",
        ORDER_URL + "/status",
        {"status": "delivery_is_in_progress", "name_en": "Out for delivery"},
        ORDER,
    ),
    "shipping_status_both_labels": (
        lambda c: c.update_shipping_status(UUID, "delivered", name_ar="تم التوصيل", name_en="Delivered"),
        "POST",
        ORDER_URL + "/status",
        {"status": "delivered", "name_ar": "تم التوصيل", "name_en": "Delivered"},
        ORDER,
    ),
    "cancel": (lambda c: c.cancel_order(UUID), "POST", ORDER_URL + "/cancel", {}, ORDER),
    "cancel_with_reason": (
        lambda c: c.cancel_order(UUID, "Customer asked"),
        "POST",
        ORDER_URL + "/cancel",
        {"reason": "Customer asked"},
        ORDER,
    ),
    "refund_everything_left": (lambda c: c.refund_order(UUID), "POST", ORDER_URL + "/refund", {}, ORDER),
    "refund_part": (
        lambda c: c.refund_order(UUID, Decimal("25.005"), "One line returned"),
        "POST",
        ORDER_URL + "/refund",
        {"amount": 25.01, "reason": "One line returned"},
        ORDER,
    ),
    "create_webhook": (
        lambda c: c.create_webhook("Shop", "https://shop.test/webhooks/points"),
        "POST",
        WEBHOOKS_URL,
        {"name": "Shop", "url": "https://shop.test/webhooks/points"},
        WEBHOOK,
    ),
    "list_webhooks": (lambda c: c.list_webhooks(), "GET", WEBHOOKS_URL, None, [WEBHOOK]),
    "delete_webhook": (lambda c: c.delete_webhook("wh-1"), "DELETE", WEBHOOKS_URL + "/wh-1", None, None),
}
ALL_CALLS = {
    "create_checkout": (
        lambda c: c.create_checkout(CHECKOUT_BODY),
        "POST",
        CHECKOUT_URL,
        CHECKOUT_BODY,
        {"checkout_url": "https://pay.test/session/abc"},
    ),
    **PRIVATE_CALLS,
}


def call_ids(calls_table):
    return pytest.mark.parametrize("call, method, url, body, resource", calls_table.values(), ids=calls_table.keys())


# --- What goes on the wire -------------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [BASE, BASE + "/"])
def test_checkout_posts_the_body_unchanged_to_the_public_key_path_without_an_api_key(requests_mock, base_url):
    requests_mock.post(CHECKOUT_URL, json=envelope({"checkout_url": "https://pay.test/session/abc"}))

    checkout_url = PointsClient(base_url, PUBLIC_KEY, PRIVATE_KEY, timeout=TIMEOUT).create_checkout(CHECKOUT_BODY)

    sent = requests_mock.last_request
    assert checkout_url == "https://pay.test/session/abc"
    assert (sent.method, sent.url) == ("POST", CHECKOUT_URL)
    assert sent.json() == CHECKOUT_BODY
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Content-Type"] == "application/json"
    assert "x-api-key" not in sent.headers
    assert PRIVATE_KEY not in json.dumps(dict(sent.headers)) + (sent.text or "")
    assert sent.timeout == TIMEOUT


@pytest.mark.parametrize("base_url", [BASE, BASE + "/"])
@call_ids(PRIVATE_CALLS)
def test_server_side_calls_send_the_private_key_to_the_exact_openapi_path(
    requests_mock, base_url, call, method, url, body, resource
):
    requests_mock.register_uri(method, url, json=envelope(resource))

    call(PointsClient(base_url, PUBLIC_KEY, PRIVATE_KEY, timeout=TIMEOUT))

    sent = requests_mock.last_request
    assert (sent.method, sent.url) == (method, url)
    assert sent.headers["x-api-key"] == PRIVATE_KEY
    assert sent.headers["Accept"] == "application/json"
    assert PUBLIC_KEY not in sent.url
    assert (sent.json() if sent.body else None) == body
    assert sent.timeout == TIMEOUT


def test_a_public_key_with_reserved_characters_stays_one_path_segment(requests_mock, caplog):
    caplog.set_level(logging.INFO)
    key = "pk/live?x=1#frag&y"
    encoded = f"{BASE}/v1/orders/checkout/pk%2Flive%3Fx%3D1%23frag%26y"
    requests_mock.post(encoded, json=envelope({"checkout_url": "https://pay.test/session/abc"}))

    assert PointsClient(BASE, key, PRIVATE_KEY).create_checkout(CHECKOUT_BODY) == "https://pay.test/session/abc"

    sent = requests_mock.last_request
    assert sent.url == encoded and sent.query == ""
    assert sent.json() == CHECKOUT_BODY
    assert "POST /v1/orders/checkout/{publicKey} -> 200" in caplog.text


def test_partial_refund_amount_is_a_json_number_rounded_half_up(requests_mock, client):
    requests_mock.post(ORDER_URL + "/refund", json=envelope(ORDER))

    client.refund_order(UUID, Decimal("25.005"))

    assert json.loads(requests_mock.last_request.text) == {"amount": 25.01}
    assert '"amount": 25.01' in requests_mock.last_request.text  # a number, not the string "25.01"


@pytest.mark.parametrize(
    "amount, wire",
    [
        (Decimal("25.005"), 25.01),
        (Decimal("25.004"), 25.0),
        (Decimal("0.005"), 0.01),
        (Decimal("150.75"), 150.75),
        (Decimal("10"), 10.0),
    ],
)
def test_money_leaves_the_shop_rounded_half_up_to_two_places(amount, wire):
    assert points.to_wire_amount(amount) == wire


# --- Envelopes ---------------------------------------------------------------------------------------


def test_get_order_reads_the_resource_under_data(requests_mock, client):
    requests_mock.get(ORDER_URL, json=envelope(ORDER))

    order = client.get_order(UUID)

    assert order == PointsOrder(
        uuid=UUID,
        order_number="PTS-2026-000123",
        order_status="approved",
        total_price=Decimal("150.5"),
        reference_number="REF-2026-001234",
        status_label="Delivered",
        raw=ORDER,
    )


@pytest.mark.parametrize("answer", [ORDER, {"status": True, "message": "", **ORDER}], ids=["bare", "envelope-keys"])
def test_a_resource_at_top_level_without_data_is_still_read(requests_mock, client, answer):
    requests_mock.get(ORDER_URL, json=answer)

    order = client.get_order(UUID)

    assert (order.uuid, order.order_status, order.total_price) == (UUID, "approved", Decimal("150.5"))


def test_a_checkout_url_at_top_level_without_data_is_still_read(requests_mock, client):
    requests_mock.post(CHECKOUT_URL, json={"checkout_url": "https://pay.test/session/top"})

    assert client.create_checkout(CHECKOUT_BODY) == "https://pay.test/session/top"


def test_create_webhook_returns_the_secret_and_list_webhooks_the_list(requests_mock, client):
    requests_mock.post(WEBHOOKS_URL, json={"data": WEBHOOK})  # the docs' example has no status/message
    requests_mock.get(WEBHOOKS_URL, json={**envelope([WEBHOOK]), "links": {}, "meta": {"total": 1}})

    assert client.create_webhook("Shop", WEBHOOK["url"])["secret"] == WEBHOOK["secret"]
    assert client.list_webhooks() == [WEBHOOK]


# --- Errors ------------------------------------------------------------------------------------------


def answered(status, answer):
    """requests-mock arguments for an answer that is JSON (a dict) or raw text."""
    return dict(status_code=status, json=answer) if isinstance(answer, dict) else dict(status_code=status, text=answer)


HTTP_ERRORS = {
    "bad-key": (400, error_envelope("Invalid or inactive API key"), "auth", "Invalid or inactive API key"),
    "missing-key": (400, error_envelope("API key is required"), "auth", "API key is required"),
    "business-rule": (400, error_envelope("Order cannot be refunded"), "rejected", "Order cannot be refunded"),
    "forbidden": (
        403,
        error_envelope("Your IP address is not allowed to access this API."),
        "forbidden",
        "Your IP address is not allowed to access this API.",
    ),
    "not-found": (404, error_envelope("Not found"), "not_found", "Not found"),
    "validation": (
        422,
        error_envelope("The given data was invalid.", errors={"total_price": ["Required."]}),
        "validation",
        "The given data was invalid.",
    ),
    "rate-limited": (429, error_envelope("Too many requests"), "rate_limited", "Too many requests"),
    "500": (500, error_envelope("Server Error"), "server", "Server Error"),
    "502-html": (502, "<html><body>Bad Gateway</body></html>", "server", "502"),
    "503-empty": (503, "", "server", "503"),
    "200-html": (200, "<html><body>Maintenance</body></html>", "bad_response", "not JSON"),
    "200-status-false": (200, error_envelope("Merchant is not published"), "rejected", "Merchant is not published"),
}


@pytest.mark.parametrize("status, answer, kind, message", HTTP_ERRORS.values(), ids=HTTP_ERRORS.keys())
def test_every_http_failure_becomes_a_points_error_of_its_kind(requests_mock, client, status, answer, kind, message):
    requests_mock.post(ORDER_URL + "/refund", **answered(status, answer))

    with pytest.raises(PointsError) as caught:
        client.refund_order(UUID)

    error = caught.value
    assert error.kind == kind
    assert message in error.message
    assert error.status_code == status


def test_a_validation_error_carries_points_field_errors(requests_mock, client):
    errors = {"total_price": ["The total price field is required."], "products.0.quantity": ["At least 1."]}
    requests_mock.post(CHECKOUT_URL, status_code=422, json=error_envelope("The given data was invalid.", errors=errors))

    with pytest.raises(PointsError) as caught:
        client.create_checkout(CHECKOUT_BODY)

    assert (caught.value.kind, caught.value.errors) == ("validation", errors)


@pytest.mark.parametrize(
    "exc, kind",
    [
        (requests.exceptions.ConnectTimeout, "timeout"),
        (requests.exceptions.ReadTimeout, "timeout"),
        (requests.exceptions.ConnectionError, "connection"),
    ],
)
def test_network_failures_are_points_errors_of_their_kind(requests_mock, client, exc, kind):
    requests_mock.get(ORDER_URL, exc=exc)

    with pytest.raises(PointsError) as caught:
        client.get_order(UUID)

    assert caught.value.kind == kind
    assert caught.value.status_code is None
    assert requests_mock.last_request.timeout == TIMEOUT


@pytest.mark.parametrize("data", [{}, {"checkout_url": ""}, {"checkout_url": None}, ["https://pay.test/x"]])
def test_a_checkout_answer_without_checkout_url_is_a_bad_response(requests_mock, client, data):
    requests_mock.post(CHECKOUT_URL, json=envelope(data))

    with pytest.raises(PointsError) as caught:
        client.create_checkout(CHECKOUT_BODY)

    assert caught.value.kind == "bad_response"


def test_an_order_answer_without_uuid_or_status_is_a_bad_response(requests_mock, client):
    requests_mock.get(ORDER_URL, json=envelope({"order_number": "PTS-2026-000123"}))

    with pytest.raises(PointsError) as caught:
        client.get_order(UUID)

    assert caught.value.kind == "bad_response"


@pytest.mark.parametrize(
    "status, answer, kind",
    [
        (400, error_envelope(["Invalid or inactive API key"]), "auth"),
        (400, error_envelope({"en": "Order cannot be refunded"}), "rejected"),
        (200, error_envelope(["Order cannot be refunded"]), "rejected"),
        (200, envelope({**ORDER, "total_price": "n/a"}), "bad_response"),
    ],
    ids=["400-list-message", "400-dict-message", "200-list-message", "non-numeric-total"],
)
def test_an_unexpected_shape_is_a_points_error_not_a_crash(requests_mock, client, calls, status, answer, kind):
    requests_mock.get(ORDER_URL, status_code=status, json=answer)

    with pytest.raises(PointsError) as caught:
        client.get_order(UUID)

    assert caught.value.kind == kind
    assert len(calls) == 1


# --- Secrets, PII and the recorder ---------------------------------------------------------------------


def test_repr_of_the_client_shows_neither_key():
    text = repr(PointsClient(BASE, PUBLIC_KEY, PRIVATE_KEY))
    assert PRIVATE_KEY not in text and BASE in text


@call_ids(ALL_CALLS)
def test_the_private_key_is_never_recorded_or_logged(
    requests_mock, client, calls, caplog, call, method, url, body, resource
):
    caplog.set_level(logging.DEBUG)
    requests_mock.register_uri(method, url, json=envelope(resource))

    call(client)

    assert len(calls) == 1
    assert PRIVATE_KEY not in repr(calls[0])
    assert PRIVATE_KEY not in caplog.text
    assert all(PRIVATE_KEY not in repr(r.args) for r in caplog.records)


FAILURES = {
    **{name: answered(status, answer) for name, (status, answer, _, _) in HTTP_ERRORS.items()},
    # A proxy or a debug error page that echoes the request's headers back.
    "echoes-the-key": dict(status_code=500, json=error_envelope(f"Unhandled: x-api-key={PRIVATE_KEY}")),
    "echoes-the-key-in-errors": dict(
        status_code=422, json=error_envelope("The given data was invalid.", errors={"x": [f"bad header {PRIVATE_KEY}"]})
    ),
    "timeout": dict(exc=requests.exceptions.ReadTimeout(f"read timed out, headers x-api-key: {PRIVATE_KEY}")),
    "connection": dict(exc=requests.exceptions.ConnectionError(f"refused {PRIVATE_KEY}")),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_a_failed_call_never_shows_the_private_key(requests_mock, client, calls, caplog, failure):
    caplog.set_level(logging.DEBUG)
    requests_mock.get(ORDER_URL, **failure)

    with pytest.raises(PointsError) as caught:
        client.get_order(UUID)

    error = caught.value
    assert PRIVATE_KEY not in f"{error} {error.message} {error!r} {error.errors}"
    assert PRIVATE_KEY not in repr(calls)
    assert PRIVATE_KEY not in caplog.text


def test_the_recorded_checkout_has_the_phone_masked(requests_mock, client, calls):
    requests_mock.post(CHECKOUT_URL, json=envelope({"checkout_url": "https://pay.test/session/abc"}))

    client.create_checkout(CHECKOUT_BODY)

    [record] = calls
    assert record.request_body["phone_number"] == "5****5678"
    assert "512345678" not in repr(record)
    assert CHECKOUT_BODY["phone_number"] == "512345678", "the caller's body is left as it was"
    assert requests_mock.last_request.json()["phone_number"] == "512345678", "Points gets the real number"


def test_the_recorded_webhook_creation_has_the_secret_masked(requests_mock, client, calls):
    requests_mock.post(WEBHOOKS_URL, json=envelope(WEBHOOK))

    answer = client.create_webhook("Shop", WEBHOOK["url"])

    assert answer["secret"] == WEBHOOK["secret"], "the caller still gets the secret to configure"
    assert WEBHOOK["secret"] not in repr(calls)
    assert calls[0].response_body["data"]["uuid"] == "wh-1"


@pytest.fixture
def clock(monkeypatch):
    """time.monotonic as seen by points.py: 250 ms pass during each call."""
    ticks = iter([100.0, 100.25, 200.0, 200.25])
    monkeypatch.setattr(points.time, "monotonic", lambda: next(ticks))


def test_the_recorder_gets_one_record_per_successful_call_with_status_and_duration(requests_mock, client, calls, clock):
    requests_mock.get(ORDER_URL, json=envelope(ORDER))

    client.get_order(UUID)

    assert calls == [
        CallRecord(
            method="GET",
            path=f"/v1/orders/{UUID}",
            request_body=None,
            response_status=200,
            response_body=envelope(ORDER),
            error=None,
            duration_ms=250,
        )
    ]


@pytest.mark.parametrize(
    "failure, status",
    [
        (dict(status_code=404, json=error_envelope("Not found")), 404),
        (dict(status_code=200, text="<html></html>"), 200),
        (dict(exc=requests.exceptions.ConnectTimeout), None),
    ],
    ids=["http-error", "bad-response", "timeout"],
)
def test_the_recorder_gets_one_record_for_a_failed_call_too(requests_mock, client, calls, clock, failure, status):
    requests_mock.post(ORDER_URL + "/cancel", **failure)

    with pytest.raises(PointsError) as caught:
        client.cancel_order(UUID, "Customer asked")

    [record] = calls
    assert (record.method, record.path, record.request_body) == (
        "POST",
        f"/v1/orders/{UUID}/cancel",
        {"reason": "Customer asked"},
    )
    assert record.response_status == status
    assert record.error == str(caught.value)
    assert record.duration_ms == 250


def test_a_client_without_recorder_still_works(requests_mock):
    requests_mock.get(ORDER_URL, json=envelope(ORDER))
    assert PointsClient(BASE, PUBLIC_KEY, PRIVATE_KEY).get_order(UUID).uuid == UUID


# --- checkout_body: the CheckoutRequest built from an order ------------------------------------------


def make_order(lines, shipping="0.00", **fields):
    lines = [OrderLine(product_name=name, unit_price=Decimal(price), quantity=qty) for name, price, qty in lines]
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    order = Order(
        id=123,
        cart_id=7,
        order_number="PTS-2026-000123",
        customer_name="Sara Al-Qahtani",
        phone="512345678",
        city="Riyadh",
        address_line="King Fahd Rd 1",
        subtotal=subtotal,
        shipping_amount=Decimal(shipping),
        total=subtotal + Decimal(shipping),
        **fields,
    )
    order.lines.extend(lines)
    return order


CALLBACK = "https://shop.test/checkout/callback?order=opaque-token"
DATES_AND_COFFEE = [("Sukkari dates 1 kg", "32.75", 2), ("Saudi coffee 250 g", "18.10", 3)]


def test_checkout_body_lists_every_line_as_a_product():
    body = checkout_body(make_order(DATES_AND_COFFEE), CALLBACK)

    assert body["products"] == [
        {"product_name": "Sukkari dates 1 kg", "product_price": 32.75, "quantity": 2},
        {"product_name": "Saudi coffee 250 g", "product_price": 18.10, "quantity": 3},
    ]


@pytest.mark.parametrize(
    "lines, shipping, total",
    [
        (DATES_AND_COFFEE, "0.00", 119.80),
        (DATES_AND_COFFEE, "25.00", 144.80),
        ([("Gift box", "0.10", 3)], "0.20", 0.50),  # 0.1 * 3 + 0.2 != 0.5 in floats, exact in Decimal
        ([("Oud", "1999.99", 1), ("Bakhoor", "0.01", 1)], "15.50", 2015.50),
    ],
)
def test_checkout_body_total_is_the_sum_of_products_plus_shipping(lines, shipping, total):
    body = checkout_body(make_order(lines, shipping), CALLBACK)

    assert body["total_price"] == total
    products = sum(Decimal(str(p["product_price"])) * p["quantity"] for p in body["products"])
    assert products + Decimal(str(body.get("shipping_amount", 0))) == Decimal(str(body["total_price"]))


def test_checkout_body_money_is_json_numbers_with_two_decimals():
    body = checkout_body(make_order(DATES_AND_COFFEE, "25.00"), CALLBACK)

    for amount in [body["total_price"], body["shipping_amount"], *(p["product_price"] for p in body["products"])]:
        assert type(amount) is float
        assert Decimal(str(amount)) == Decimal(str(amount)).quantize(Decimal("0.01"))
    assert json.loads(json.dumps(body)) == body


@pytest.mark.parametrize("shipping, present", [("0.00", False), ("0", False), ("12.50", True)])
def test_checkout_body_sends_shipping_amount_only_when_not_zero(shipping, present):
    body = checkout_body(make_order(DATES_AND_COFFEE, shipping), CALLBACK)

    assert ("shipping_amount" in body) is present
    if present:
        assert body["shipping_amount"] == float(shipping)


def test_checkout_body_carries_the_customer_address_metadata_and_callback():
    body = checkout_body(make_order(DATES_AND_COFFEE), CALLBACK)

    assert body["order_number"] == "PTS-2026-000123"
    assert body["phone_number"] == "512345678"
    assert body["name"] == "Sara Al-Qahtani"
    assert body["shipping_address"] == {"city": "Riyadh", "line1": "King Fahd Rd 1"}
    assert body["metadata"] == {"cart_id": 7, "channel": "web", "shop_order_id": 123, "locale": "en"}
    assert body["callback_url"] == CALLBACK


def test_an_order_resource_without_uuid_is_a_bad_response_not_the_integer_id():
    from storefront.points.client import PointsError, PointsOrder

    with pytest.raises(PointsError) as caught:
        PointsOrder.from_resource({"id": 42, "order_status": "approved", "order_number": "PTS-2026-000001"})
    assert caught.value.kind == "bad_response"
    webhook_shape = PointsOrder.from_resource(
        {"id": "550e8400-e29b-41d4-a716-446655440000", "order_status": "approved"}
    )
    assert webhook_shape.uuid == "550e8400-e29b-41d4-a716-446655440000"


# --- Only a uuid goes into an order's path ------------------------------------------------------

NOT_UUIDS = [
    "../x",
    "../../../_control/x",
    f"{UUID}/../../webhooks",
    f"{UUID}?x=1",
    f"{UUID}#x",
    "%2e%2e%2fx",
    "",
    "not-a-uuid",
]


@pytest.mark.parametrize("bad", NOT_UUIDS)
@pytest.mark.parametrize(
    "call",
    [
        lambda c, u: c.get_order(u),
        lambda c, u: c.update_shipping_status(u, "delivered"),
        lambda c, u: c.cancel_order(u),
        lambda c, u: c.refund_order(u),
    ],
    ids=["get", "status", "cancel", "refund"],
)
def test_the_client_refuses_an_order_id_that_is_not_a_uuid_before_any_call(requests_mock, client, bad, call):
    with pytest.raises(PointsError) as refused:
        call(client, bad)
    assert refused.value.kind == "bad_uuid"
    assert requests_mock.call_count == 0  # no request, so no private key, went anywhere


@pytest.mark.parametrize("action", [None, "status", "cancel", "refund"])
def test_every_order_path_is_v1_orders_then_the_uuid_in_one_segment(action):
    path = points.order_path(UUID.upper(), action)
    assert path == f"/v1/orders/{UUID}" + (f"/{action}" if action else "")


def test_an_api_answer_whose_uuid_is_not_a_uuid_is_a_bad_response(requests_mock, client):
    requests_mock.get(ORDER_URL, json=envelope({**ORDER, "uuid": "../../../_control/x"}))
    with pytest.raises(PointsError) as bad:
        client.get_order(UUID)
    assert bad.value.kind == "bad_response" and "not a uuid" in bad.value.message


# --- Retries: reads only, with back-off -----------------------------------------------------------


@pytest.fixture
def waits():
    return []


@pytest.fixture
def patient(calls, waits):
    """A client whose waits between tries are noted, not slept."""
    return PointsClient(BASE, PUBLIC_KEY, PRIVATE_KEY, timeout=TIMEOUT, recorder=calls.append, sleep=waits.append)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_read_is_tried_again_on_429_and_5xx_with_exponential_back_off(requests_mock, patient, calls, waits, status):
    requests_mock.get(
        ORDER_URL, [{"status_code": status, "json": error_envelope("Busy")}] * 2 + [{"json": envelope(ORDER)}]
    )
    assert patient.get_order(UUID).uuid == UUID
    assert requests_mock.call_count == 3 and waits == [0.25, 0.5]
    assert [c.response_status for c in calls] == [status, status, 200]  # every try recorded


def test_a_read_honours_retry_after_and_gives_up_after_three_tries(requests_mock, patient, calls, waits):
    requests_mock.get(ORDER_URL, status_code=429, headers={"Retry-After": "2"}, json=error_envelope("Slow down"))
    with pytest.raises(PointsError) as caught:
        patient.get_order(UUID)
    assert caught.value.kind == "rate_limited" and caught.value.retry_after == 2
    assert requests_mock.call_count == 3 and waits == [2.0, 2.0] and len(calls) == 3


def test_a_read_never_waits_more_than_ten_seconds_in_all(requests_mock, patient, waits):
    requests_mock.get(ORDER_URL, status_code=503, headers={"Retry-After": "7"}, json=error_envelope("Down"))
    with pytest.raises(PointsError):
        patient.get_order(UUID)
    assert waits == [7.0] and requests_mock.call_count == 2  # a second wait of 7 s would pass 10 s


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_a_read_refused_for_a_reason_is_not_tried_again(requests_mock, patient, waits, status):
    requests_mock.get(ORDER_URL, status_code=status, json=error_envelope("No"))
    with pytest.raises(PointsError):
        patient.get_order(UUID)
    assert requests_mock.call_count == 1 and waits == []


MOVES_MONEY_OR_STATE = {
    "checkout": (lambda c: c.create_checkout(CHECKOUT_BODY), "POST", CHECKOUT_URL),
    "refund": (lambda c: c.refund_order(UUID), "POST", ORDER_URL + "/refund"),
    "cancel": (lambda c: c.cancel_order(UUID), "POST", ORDER_URL + "/cancel"),
    "shipping_status": (lambda c: c.update_shipping_status(UUID, "delivered"), "POST", ORDER_URL + "/status"),
}


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("call, method, url", MOVES_MONEY_OR_STATE.values(), ids=MOVES_MONEY_OR_STATE.keys())
def test_calls_that_move_money_or_state_are_tried_once(requests_mock, patient, waits, call, method, url, status):
    requests_mock.register_uri(method, url, status_code=status, headers={"Retry-After": "1"}, json=error_envelope("No"))
    with pytest.raises(PointsError):
        call(patient)
    assert requests_mock.call_count == 1 and waits == []


def test_every_call_sends_its_own_request_id_and_records_it(requests_mock, calls):
    requests_mock.get(ORDER_URL, json=envelope(ORDER))
    client = PointsClient(BASE, PUBLIC_KEY, PRIVATE_KEY, recorder=calls.append, request_id="req-4f2a9c01")
    client.get_order(UUID)
    client.get_order(UUID)
    sent = [r.headers["X-Request-ID"] for r in requests_mock.request_history]
    assert all(s.startswith("req-4f2a9c01.") for s in sent) and sent[0] != sent[1]
    assert [c.request_id for c in calls] == sent


@pytest.mark.parametrize(
    "method, path, endpoint",
    [
        ("POST", "/v1/orders/checkout/pk_live_abc", "POST /v1/orders/checkout/{publicKey}"),
        ("GET", "/v1/orders/550e8400-e29b-41d4-a716-446655440000", "GET /v1/orders/{uuid}"),
        ("POST", "/v1/orders/550e8400-e29b-41d4-a716-446655440000/refund", "POST /v1/orders/{uuid}/refund"),
        ("POST", "/v1/orders/earning", "POST /v1/orders/earning"),  # not an order's uuid
    ],
)
def test_calls_are_grouped_by_the_endpoint_the_api_reference_names(method, path, endpoint):
    assert points.endpoint_of(method, path) == endpoint
