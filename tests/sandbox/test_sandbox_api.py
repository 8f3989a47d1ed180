"""The sandbox's merchant API pinned to points_sandbox/openapi.yaml: every response is checked
against its documented schema, and every documented error path is exercised."""

import pytest
import sqlalchemy as sa

from points_sandbox.extensions import db
from points_sandbox.models import Merchant, Order
from points_sandbox.validation import normalize_api_phone, normalize_phone

from .conftest import CHECKOUT, OPENAPI, SHARED_OPENAPI, SK

ORDER = "/v1/orders/{orderUuid}"
AUTH = {"x-api-key": SK}


def api(client, method, path, **kwargs):
    headers = kwargs.pop("headers", AUTH)
    return client.open("/api" + path, method=method, headers=headers, **kwargs)


def checkout_body(**fields):
    return {
        "total_price": 224,
        "order_number": "PTS-2026-000123",
        "phone_number": "512345678",
        "products": [{"product_name": "Dates", "product_price": 100, "quantity": 2}],
        "shipping_amount": 30,
        "tax_amount": 4,
        "discount_amount": 10,
        "callback_url": "http://shop.test/return?order=t1",
        **fields,
    }


def test_the_openapi_copy_is_the_shared_contract():
    if not SHARED_OPENAPI.exists():
        pytest.skip("shared/ is not beside the repository")
    assert OPENAPI.read_bytes() == SHARED_OPENAPI.read_bytes()


def test_the_sandbox_serves_its_openapi_file(sandbox_client):
    response = sandbox_client.get("/openapi.yaml")
    assert response.status_code == 200 and response.data == OPENAPI.read_bytes()


# --- Checkout ---------------------------------------------------------------------------------


def test_checkout_creates_a_new_replacing_order_and_answers_a_checkout_url(
    sandbox_client, sandbox_contract, sandbox_app
):
    response = sandbox_client.post(
        CHECKOUT, json=checkout_body(order_number="#PTS-2026-000123", phone_number="+966512345678")
    )
    body = sandbox_contract(response, "/v1/orders/checkout/{publicKey}", "post")
    assert body["status"] is True and body["message"] == "" and body["appended_data"] == {}
    url = body["data"]["checkout_url"]
    assert url.startswith("http://localhost/checkout/")
    with sandbox_app.app_context():
        order = db.session.scalar(sa.select(Order))
        assert (order.order_number, order.order_status, order.type) == ("PTS-2026-000123", "new", 2)
        assert order.phone_number == "512345678"
        assert order.session.id == url.rsplit("/", 1)[-1]


def test_checkout_with_an_unknown_public_key_is_a_400(sandbox_client, sandbox_contract):
    response = sandbox_client.post("/api/v1/orders/checkout/pk_nope", json=checkout_body())
    assert response.status_code == 400
    assert (
        sandbox_contract(response, "/v1/orders/checkout/{publicKey}", "post")["message"]
        == "Invalid or inactive API key"
    )


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"total_price": None}, "total_price", "The total price field is required."),
        ({"total_price": "abc"}, "total_price", "The total price must be a number."),
        ({"total_price": -1}, "total_price", "The total price must be at least 0."),
        ({"order_number": ""}, "order_number", "The order number field is required."),
        ({"order_number": "#"}, "order_number", "The order number field is required."),
        ({"phone_number": "12345"}, "phone_number", "The phone number format is invalid."),
        ({"phone_number": "+966412345678"}, "phone_number", "The phone number format is invalid."),
        ({"name": "x" * 256}, "name", "The name must not be greater than 255 characters."),
        ({"shipping_amount": -5}, "shipping_amount", "The shipping amount must be at least 0."),
        ({"callback_url": "not a url"}, "callback_url", "The callback url must be a valid URL."),
        ({"metadata": "text"}, "metadata", "The metadata must be an array."),
        ({"products": []}, "products", "The products must have at least 1 items."),
        (
            {"products": [{"product_name": "A", "product_price": 1, "quantity": 0}]},
            "products.0.quantity",
            "The quantity must be at least 1.",
        ),
        (
            {"products": [{"product_name": "A", "product_price": 1, "quantity": 1.5}]},
            "products.0.quantity",
            "The quantity must be an integer.",
        ),
        (
            {"products": [{"product_name": "A", "product_price": -1, "quantity": 1}]},
            "products.0.product_price",
            "The product price must be at least 0.",
        ),
        (
            {"products": [{"product_price": 1, "quantity": 1}]},
            "products.0.product_name",
            "The product name field is required.",
        ),
        (
            {"shipping_address": {"city": "c" * 101}},
            "shipping_address.city",
            "The city must not be greater than 100 characters.",
        ),
    ],
)
def test_checkout_validation_answers_422_with_dot_notation_errors(
    sandbox_client, sandbox_contract, change, field, message
):
    response = sandbox_client.post(CHECKOUT, json=checkout_body(**change))
    assert response.status_code == 422
    body = sandbox_contract(response, "/v1/orders/checkout/{publicKey}", "post")
    assert body["errors"][field] == [message]
    assert body["message"] == message


@pytest.mark.parametrize("huge", [1e26, "1e26", "100000000000000000000000000000", 10**40, "10000000000"])
@pytest.mark.parametrize(
    "change, field",
    [
        (lambda huge: {"total_price": huge}, "total_price"),
        (lambda huge: {"shipping_amount": huge}, "shipping_amount"),
        (
            lambda huge: {"products": [{"product_name": "Dates", "product_price": huge, "quantity": 2}]},
            "products.0.product_price",
        ),
    ],
)
def test_amounts_beyond_the_money_columns_are_a_422_not_a_500(sandbox_client, sandbox_contract, huge, change, field):
    response = sandbox_client.post(CHECKOUT, json=checkout_body(**change(huge)))
    assert response.status_code == 422
    body = sandbox_contract(response, "/v1/orders/checkout/{publicKey}", "post")
    name = field.rsplit(".", 1)[-1].replace("_", " ")
    assert body["errors"][field] == [f"The {name} must not be greater than 9999999999.99."]


def test_the_largest_amount_is_accepted(sandbox_client):
    response = sandbox_client.post(CHECKOUT, json={"total_price": "9999999999.99", "order_number": "A-1"})
    assert response.status_code == 200


@pytest.mark.parametrize("amount", [1e26, "1e30", 10**40])
def test_a_huge_refund_amount_is_a_422_not_a_500(sandbox_client, sandbox_contract, sandbox_checkout, amount):
    _, uuid = sandbox_checkout()
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/complete")
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}/refund", json={"amount": amount})
    assert response.status_code == 422
    assert sandbox_contract(response, ORDER + "/refund", "post")["errors"]["amount"] == [
        "The amount must not be greater than 9999999999.99."
    ]


@pytest.mark.parametrize(
    "value",
    ["1_000", "1_0", "١٠٠", "١٠٠.٥٠", "１００", "Infinity", "NaN", "0x10", "1,000", "\u00a0100", "100\u2003", ""],
)
def test_numbers_are_ascii_like_laravels_numeric_rule(sandbox_client, sandbox_contract, value):
    response = sandbox_client.post(CHECKOUT, json=checkout_body(tax_amount=value or "  x"))
    assert response.status_code == 422
    body = sandbox_contract(response, "/v1/orders/checkout/{publicKey}", "post")
    assert body["errors"]["tax_amount"] == ["The tax amount must be a number."]


@pytest.mark.parametrize("value", ["4", " 4 ", "4.00", "+4", "4e0", ".4e1", "40e-1"])
def test_what_laravels_numeric_rule_takes_is_taken(sandbox_client, value):
    assert sandbox_client.post(CHECKOUT, json=checkout_body(tax_amount=value)).status_code == 200


@pytest.mark.parametrize("value", ["1_0", "٢", "２", "02", "9223372036854775808", "1" * 30, 1e30, "2.0"])
def test_quantities_are_ascii_integers_like_laravels_integer_rule(sandbox_client, sandbox_contract, value):
    product = {"product_name": "Dates", "product_price": 100, "quantity": value}
    response = sandbox_client.post(CHECKOUT, json=checkout_body(products=[product]))
    assert response.status_code == 422
    body = sandbox_contract(response, "/v1/orders/checkout/{publicKey}", "post")
    assert body["errors"]["products.0.quantity"] == ["The quantity must be an integer."]


def test_products_must_add_up_to_the_total_price(sandbox_client, sandbox_contract):
    response = sandbox_client.post(CHECKOUT, json=checkout_body(total_price=230))
    assert response.status_code == 422
    body = sandbox_contract(response, "/v1/orders/checkout/{publicKey}", "post")
    assert list(body["errors"]) == ["total_price"] and "224.00" in body["errors"]["total_price"][0]


@pytest.mark.parametrize(
    "total, status", [(224.01, 422), (223.99, 422), ("224.00", 200), (224.004, 200), (224.005, 422)]
)
def test_products_add_up_to_the_halala(sandbox_client, total, status):
    """Every amount is rounded half-up to 2 places first, then compared exactly."""
    response = sandbox_client.post(CHECKOUT, json=checkout_body(total_price=total))
    assert response.status_code == status
    if status == 422:
        assert list(response.json["errors"]) == ["total_price"]


@pytest.mark.parametrize("metadata", [{}, {"cart": "c1"}, None])
def test_metadata_is_echoed_as_sent_even_empty(sandbox_client, sandbox_contract, sandbox_deliveries, metadata):
    response = sandbox_client.post(CHECKOUT, json=checkout_body(metadata=metadata))
    assert response.status_code == 200
    session_id = response.json["data"]["checkout_url"].rsplit("/", 1)[-1]
    uuid = sandbox_client.get(f"/_control/sessions/{session_id}").json["order_uuid"]
    assert (
        sandbox_contract(api(sandbox_client, "GET", f"/v1/orders/{uuid}"), ORDER, "get")["data"]["metadata"] == metadata
    )
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/cancel")
    [(_, order)] = sandbox_deliveries()
    assert order["metadata"] == metadata


def test_a_checkout_without_products_is_accepted(sandbox_client):
    response = sandbox_client.post(CHECKOUT, json={"total_price": 50, "order_number": "A-1"})
    assert response.status_code == 200


def test_the_422_message_counts_the_other_errors(sandbox_client):
    body = sandbox_client.post(CHECKOUT, json={}).json
    assert set(body["errors"]) == {"total_price", "order_number"}
    assert body["message"] == "The total price field is required. (and 1 more error)"


@pytest.mark.parametrize(
    "raw",
    ["+966512345678", "00966512345678", "966512345678", "0512345678", "512345678", "051 234-5678", "+966 51 234 5678"],
)
def test_phone_numbers_are_normalised(raw):
    assert normalize_phone(raw) == "512345678"


@pytest.mark.parametrize(
    "raw",
    ["", "12345678", "0612345678", "5123456789", "+971512345678", "٥١٢٣٤٥٦٧٨", "5١٢٣٤٥٦٧٨", "05١٢٣٤٥٦٧٨", None, True],
)
def test_other_phone_numbers_are_refused(raw):
    assert normalize_phone(raw) is None


@pytest.mark.parametrize("raw", ["+966512345678", "00966512345678", "966512345678", "0512345678", "512345678"])
def test_the_api_strips_only_the_prefix(raw):
    assert normalize_api_phone(raw) == "512345678"


@pytest.mark.parametrize(
    "raw",
    [
        512345678,
        966512345678,
        "051 234-5678",
        "+966 51 234 5678",
        "51-234-5678",
        " 512345678",
        "512345678 ",
        "5١٢٣٤٥٦٧٨",
        True,
        None,
        5.12345678e8,
    ],
)
def test_the_api_refuses_what_only_the_sdk_would_clean(sandbox_client, sandbox_contract, raw):
    assert normalize_api_phone(raw) is None
    response = sandbox_client.post(CHECKOUT, json=checkout_body(phone_number=raw))
    if raw is None:  # optional: null is absent
        assert response.status_code == 200
        return
    assert response.status_code == 422
    body = sandbox_contract(response, "/v1/orders/checkout/{publicKey}", "post")
    assert body["errors"] == {"phone_number": ["The phone number format is invalid."]}


def test_the_hosted_phone_form_stays_lenient(sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout(phone_number=None)
    shopper = sandbox_shopper(session_id)
    shopper.open()
    shopper.post("phone", phone="+966 50 000-0001")
    assert shopper.has("otp-code")


@pytest.mark.parametrize("status", [429, 500])
def test_chaos_makes_the_next_checkout_fail(sandbox_client, sandbox_contract, status):
    sandbox_client.post("/_control/chaos", json={"checkout_fail_status": status, "checkout_fail_next": 1})
    failed = sandbox_client.post(CHECKOUT, json=checkout_body())
    assert failed.status_code == status and failed.json["status"] is False
    assert sandbox_client.post(CHECKOUT, json=checkout_body()).status_code == 200


# --- Authentication and ownership --------------------------------------------------------------

AUTHENTICATED = [
    ("GET", ORDER, ""),
    ("POST", ORDER + "/status", ""),
    ("POST", ORDER + "/cancel", ""),
    ("POST", ORDER + "/refund", ""),
    ("POST", ORDER + "/complete", ""),
    ("POST", ORDER + "/authorize", ""),
    ("POST", ORDER + "/capture", ""),
    ("GET", "/v1/webhooks", ""),
    ("POST", "/v1/webhooks", ""),
    ("GET", "/v1/webhooks/{webhookUuid}", ""),
    ("PUT", "/v1/webhooks/{webhookUuid}", ""),
    ("PATCH", "/v1/webhooks/{webhookUuid}", ""),
    ("DELETE", "/v1/webhooks/{webhookUuid}", ""),
]


@pytest.mark.parametrize("method, path, _", AUTHENTICATED)
@pytest.mark.parametrize("headers", [{}, {"x-api-key": "sk_wrong"}, {"x-api-key": "pk_sandbox_demo"}])
def test_every_private_endpoint_answers_400_without_a_valid_key(
    sandbox_client, sandbox_contract, method, path, _, headers
):
    concrete = path.replace("{orderUuid}", "550e8400-e29b-41d4-a716-446655440000").replace(
        "{webhookUuid}", "550e8400-e29b-41d4-a716-446655440000"
    )
    response = api(sandbox_client, method, concrete, headers=headers, json={})
    assert response.status_code == 400
    assert sandbox_contract(response, path, method)["message"] == "Invalid or inactive API key"


@pytest.mark.parametrize(
    "method, suffix",
    [
        ("GET", ""),
        ("POST", "/cancel"),
        ("POST", "/refund"),
        ("POST", "/complete"),
        ("POST", "/authorize"),
        ("POST", "/capture"),
        ("POST", "/status"),
    ],
)
def test_unknown_and_other_merchants_orders_are_404(
    sandbox_client, sandbox_contract, sandbox_checkout, sandbox_app, method, suffix
):
    _, order_uuid = sandbox_checkout()
    with sandbox_app.app_context():
        db.session.add(Merchant(name="Other", public_key="pk_other", private_key="sk_other"))
        db.session.commit()
    body = {"status": "delivered"} if suffix == "/status" else {}
    for uuid, key in [("550e8400-e29b-41d4-a716-446655440000", SK), (order_uuid, "sk_other"), ("not-a-uuid", SK)]:
        response = api(sandbox_client, method, f"/v1/orders/{uuid}{suffix}", headers={"x-api-key": key}, json=body)
        assert response.status_code == 404
        assert sandbox_contract(response, ORDER + suffix, method)["message"] == "Order not found."


# --- Orders -----------------------------------------------------------------------------------


def test_get_order_answers_an_order_resource(sandbox_client, sandbox_contract, sandbox_checkout):
    _, order_uuid = sandbox_checkout(metadata={"cart": "c1"})
    body = sandbox_contract(api(sandbox_client, "GET", f"/v1/orders/{order_uuid}"), ORDER, "get")
    order = body["data"]
    assert isinstance(order["id"], int) and order["uuid"] == order_uuid
    assert order["type"] == 2 and order["order_status"] == "new" and order["status"] is None
    assert order["total_price"] == 100.0 and order["total_points"] == 0
    assert order["metadata"] == {"cart": "c1"}
    assert order["reference_number"].startswith("REF-")
    assert order["items"] == [{"product_name": "Sukkari dates", "product_price": 75.0, "quantity": 1}]


def test_authorize_capture_then_two_partial_refunds(
    sandbox_client, sandbox_contract, sandbox_checkout, sandbox_deliveries
):
    _, uuid = sandbox_checkout()
    steps = [
        ("/authorize", {}, "authorized"),
        ("/capture", {}, "captured"),
        ("/refund", {"amount": 30, "reason": "One item returned"}, "partially_refunded"),
        ("/refund", {}, "fully_refunded"),
    ]
    for suffix, body, expected in steps:
        response = api(sandbox_client, "POST", f"/v1/orders/{uuid}{suffix}", json=body)
        assert response.status_code == 200, response.json
        assert sandbox_contract(response, ORDER + suffix, "post")["data"]["order_status"] == expected
    events = sandbox_deliveries()
    assert [e for e, _ in events] == ["authorized", "captured", "refunded", "refunded"]
    first, second = events[2][1], events[3][1]
    assert (first["refund_amount"], first["left_amount"], first["reason"]) == (30.0, 70.0, "One item returned")
    assert (second["refund_amount"], second["left_amount"]) == (70.0, 0.0)
    # Stamped to the second like Laravel: both may share `updated_at`; they differ in left_amount.
    assert first["updated_at"] <= second["updated_at"] and first["left_amount"] != second["left_amount"]


@pytest.mark.parametrize(
    "setup, suffix, body, message",
    [
        ([], "/capture", {}, "Order cannot be captured: it is new; only authorized orders can be captured."),
        (
            [],
            "/refund",
            {},
            "Refund not allowed: the order is new; only approved, captured or partially refunded orders can be refunded.",
        ),
        (
            ["/complete"],
            "/cancel",
            {},
            "Order cannot be cancelled: it is approved; only new or authorized orders can be cancelled. Refund it instead.",
        ),
        (["/complete"], "/complete", {}, "Order is already completed"),
        (["/authorize", "/capture"], "/complete", {}, "Order already fully paid"),
        (["/cancel"], "/complete", {}, "Order cannot be completed"),
        (
            ["/cancel"],
            "/authorize",
            {},
            "Order cannot be authorized: it is cancelled; only new orders can be authorized.",
        ),
        (
            ["/cancel"],
            "/cancel",
            {},
            "Order cannot be cancelled: it is cancelled; only new or authorized orders can be cancelled.",
        ),
        (
            ["/complete"],
            "/refund",
            {"amount": 100.01},
            "Refund not allowed: the amount exceeds the refundable amount (100.00 SAR).",
        ),
        (["/complete"], "/refund", {"amount": 0}, "Refund not allowed: the amount must be greater than 0."),
        (
            ["/complete", "/refund"],
            "/refund",
            {},
            "Refund not allowed: the order is fully_refunded; only approved, captured or partially refunded orders can be refunded.",
        ),
        (
            [],
            "/status",
            {"status": "delivered"},
            "Shipping status cannot be updated: the order is new; only approved, captured or partially refunded orders can be shipped.",
        ),
    ],
)
def test_illegal_moves_are_400_with_a_clear_message(
    sandbox_client, sandbox_contract, sandbox_checkout, setup, suffix, body, message
):
    _, uuid = sandbox_checkout()
    for step in setup:
        assert api(sandbox_client, "POST", f"/v1/orders/{uuid}{step}", json={}).status_code == 200
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}{suffix}", json=body)
    assert response.status_code == 400
    assert sandbox_contract(response, ORDER + suffix, "post")["message"] == message


def test_cancel_stores_the_default_reason_and_echoes_it_in_the_webhook(
    sandbox_client, sandbox_contract, sandbox_checkout, sandbox_deliveries
):
    _, uuid = sandbox_checkout()
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}/cancel")
    assert sandbox_contract(response, ORDER + "/cancel", "post")["data"]["order_status"] == "cancelled"
    [(event, order)] = sandbox_deliveries()
    assert (event, order["reason"], order["order_status"]) == ("cancelled", "Order cancelled via API", "cancelled")


@pytest.mark.parametrize(
    "suffix, body, field",
    [
        ("/cancel", {"reason": "r" * 501}, "reason"),
        ("/refund", {"amount": "lots"}, "amount"),
        ("/refund", {"amount": -1}, "amount"),
        ("/refund", {"reason": "r" * 501}, "reason"),
        ("/complete", {"payment_method": "11"}, "payment_method"),
        ("/complete", {"payment_method": 2}, "payment_method"),
        ("/status", {}, "status"),
        ("/status", {"status": "lost"}, "status"),
        ("/status", {"name_en": "x" * 121}, "name_en"),
    ],
)
def test_order_action_bodies_are_validated(sandbox_client, sandbox_contract, sandbox_checkout, suffix, body, field):
    _, uuid = sandbox_checkout()
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}{suffix}", json=body)
    assert response.status_code == 422
    assert field in sandbox_contract(response, ORDER + suffix, "post")["errors"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name_en": "Packed"},
        {"name_ar": "تم التغليف"},
        {"name_ar": "تم التغليف", "name_en": "Packed"},
        {"status": None, "name_en": "Packed"},
        {"status": "", "name_en": "Packed"},
    ],
)
def test_a_shipping_update_needs_a_status_even_with_labels(
    sandbox_client, sandbox_contract, sandbox_checkout, sandbox_deliveries, body
):
    _, uuid = sandbox_checkout()
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/complete")
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}/status", json=body)
    assert response.status_code == 422
    answer = sandbox_contract(response, ORDER + "/status", "post")
    assert answer["errors"] == {"status": ["The status field is required."]}
    assert answer["message"] == "The status field is required."
    assert "shipping_status_updated" not in [e for e, _ in sandbox_deliveries()]


def test_complete_fires_approved_then_completed(sandbox_client, sandbox_contract, sandbox_checkout, sandbox_deliveries):
    _, uuid = sandbox_checkout()
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}/complete", json={"payment_method": "2"})
    data = sandbox_contract(response, ORDER + "/complete", "post")["data"]
    assert data["order_status"] == "approved" and data["settlement_status"] == "settled"
    assert [e for e, _ in sandbox_deliveries()] == ["approved", "completed"]


def test_shipping_status_updates_the_resource_and_fires_its_webhook(
    sandbox_client, sandbox_contract, sandbox_checkout, sandbox_deliveries
):
    _, uuid = sandbox_checkout()
    api(sandbox_client, "POST", f"/v1/orders/{uuid}/complete")
    response = api(sandbox_client, "POST", f"/v1/orders/{uuid}/status", json={"status": "ready_shipping"})
    data = sandbox_contract(response, ORDER + "/status", "post")["data"]
    assert (data["status"], data["status_label"], data["custom_status"]) == (3, "Ready for shipping", None)
    labelled = api(
        sandbox_client,
        "POST",
        f"/v1/orders/{uuid}/status?lang=ar",
        json={"status": "delivery_is_in_progress", "name_ar": "خرج للتوصيل", "name_en": "Out for delivery"},
    )
    data = sandbox_contract(labelled, ORDER + "/status", "post")["data"]
    assert data["status"] == 4 and data["status_label"] == "خرج للتوصيل"
    assert data["custom_status"] == {"ar": "خرج للتوصيل", "en": "Out for delivery"}
    shipping = [order for event, order in sandbox_deliveries() if event == "shipping_status_updated"]
    assert [(o["status"], o["status_label"]) for o in shipping] == [
        ("ready_shipping", "Ready for shipping"),
        ("delivery_is_in_progress", "Out for delivery"),
    ]
    assert shipping[0]["updated_at"] <= shipping[1]["updated_at"]  # to the second: may be equal


# --- Webhooks API -----------------------------------------------------------------------------

WEBHOOK = "/v1/webhooks/{webhookUuid}"


def test_the_seeded_webhook_is_listed_with_its_secret(sandbox_client, sandbox_contract):
    body = sandbox_contract(api(sandbox_client, "GET", "/v1/webhooks"), "/v1/webhooks", "get")
    [hook] = body["data"]
    assert (hook["url"], hook["secret"]) == ("/webhooks/points", "whsec_sandbox_demo")
    assert body["meta"]["total"] == 1 and body["links"]["next"] is None


def test_webhook_create_read_update_delete(sandbox_client, sandbox_contract):
    created = api(sandbox_client, "POST", "/v1/webhooks", json={"name": "Audit", "url": "https://shop.test/hooks/a"})
    hook = sandbox_contract(created, "/v1/webhooks", "post")["data"]
    assert len(hook["secret"]) == 60
    path = f"/v1/webhooks/{hook['uuid']}"
    read = sandbox_contract(api(sandbox_client, "GET", path), WEBHOOK, "get")["data"]
    assert read["secret"] == hook["secret"]
    put = sandbox_contract(api(sandbox_client, "PUT", path, json={"name": "Audit 2"}), WEBHOOK, "put")["data"]
    assert (put["name"], put["url"]) == ("Audit 2", "https://shop.test/hooks/a")
    patch = sandbox_contract(
        api(sandbox_client, "PATCH", path, json={"url": "https://shop.test/hooks/b"}), WEBHOOK, "patch"
    )["data"]
    assert (patch["name"], patch["url"]) == ("Audit 2", "https://shop.test/hooks/b")
    listed = api(sandbox_client, "GET", "/v1/webhooks?per_page=1&page=2").json
    assert [h["uuid"] for h in listed["data"]] == [hook["uuid"]] and listed["meta"]["last_page"] == 2
    deleted = api(sandbox_client, "DELETE", path)
    assert sandbox_contract(deleted, WEBHOOK, "delete")["status"] is True
    gone = api(sandbox_client, "GET", path)
    assert gone.status_code == 404 and sandbox_contract(gone, WEBHOOK, "get")["message"] == "Webhook not found."


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "https://shop.test/x"}, "name"),
        ({"name": "A"}, "url"),
        ({"name": "A", "url": "ftp://shop.test/x"}, "url"),
        ({"name": "A", "url": "https://shop.test/" + "x" * 500}, "url"),
        ({"name": "n" * 256, "url": "https://shop.test/x"}, "name"),
    ],
)
def test_webhook_creation_is_validated(sandbox_client, sandbox_contract, body, field):
    response = api(sandbox_client, "POST", "/v1/webhooks", json=body)
    assert response.status_code == 422
    assert field in sandbox_contract(response, "/v1/webhooks", "post")["errors"]


def test_the_same_webhook_url_twice_is_a_400(sandbox_client, sandbox_contract):
    body = {"name": "A", "url": "https://shop.test/dup"}
    assert api(sandbox_client, "POST", "/v1/webhooks", json=body).status_code == 200
    again = api(sandbox_client, "POST", "/v1/webhooks", json=body)
    assert again.status_code == 400
    assert sandbox_contract(again, "/v1/webhooks", "post")["message"] == "A webhook already exists for this URL."


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_empty_webhook_update_is_a_422(sandbox_client, sandbox_contract, method):
    [hook] = api(sandbox_client, "GET", "/v1/webhooks").json["data"]
    response = api(sandbox_client, method, f"/v1/webhooks/{hook['uuid']}", json={})
    assert response.status_code == 422
    assert set(sandbox_contract(response, WEBHOOK, method)["errors"]) == {"name", "url"}


def test_per_page_must_be_at_least_one(sandbox_client):
    response = api(sandbox_client, "GET", "/v1/webhooks?per_page=0")
    assert response.status_code == 422 and "per_page" in response.json["errors"]


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("per_page=101", "per_page", "The per page must not be greater than 100."),
        ("per_page=99999999999999999999999", "per_page", "The per page must be an integer."),  # past PHP_INT_MAX
        ("page=99999999999999999999999", "page", "The page must be an integer."),
        ("page=9223372036854775807&per_page=100", "page", "The page must not be greater than 2147483647."),
    ],
)
def test_absurd_paging_is_a_422_not_a_500(sandbox_client, query, field, message):
    response = api(sandbox_client, "GET", f"/v1/webhooks?{query}")
    assert response.status_code == 422
    assert response.json["errors"] == {field: [message]} and response.json["status"] is False


def test_the_last_allowed_page_is_empty_not_an_error(sandbox_client):
    response = api(sandbox_client, "GET", "/v1/webhooks?per_page=100&page=2147483647")
    assert response.status_code == 200
    assert response.json["data"] == [] and response.json["meta"]["total"] == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_another_merchants_webhook_is_404(sandbox_client, sandbox_contract, sandbox_app, method):
    with sandbox_app.app_context():
        db.session.add(Merchant(name="Other", public_key="pk_other", private_key="sk_other"))
        db.session.commit()
    [hook] = api(sandbox_client, "GET", "/v1/webhooks").json["data"]
    response = api(
        sandbox_client,
        method,
        f"/v1/webhooks/{hook['uuid']}",
        headers={"x-api-key": "sk_other"},
        json={"name": "mine now"},
    )
    assert response.status_code == 404
    sandbox_contract(response, WEBHOOK, method)


def test_unknown_api_paths_answer_json(sandbox_client):
    response = sandbox_client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json["status"] is False
    assert sandbox_client.delete(CHECKOUT).status_code == 405


@pytest.mark.parametrize("failure", [RuntimeError("boom"), ZeroDivisionError(), OverflowError("int too large")])
def test_a_crash_under_the_api_answers_the_error_envelope(
    sandbox_client, sandbox_contract, sandbox_checkout, monkeypatch, failure
):
    from points_sandbox import api as api_module

    _, uuid = sandbox_checkout()

    def crash(order):
        raise failure

    monkeypatch.setattr(api_module, "order_resource", crash)
    response = api(sandbox_client, "GET", f"/v1/orders/{uuid}")
    assert response.status_code == 500
    assert response.json == {"status": False, "message": "Server Error", "appended_data": {}}
    # The session was rolled back: the next call works.
    monkeypatch.undo()
    assert api(sandbox_client, "GET", f"/v1/orders/{uuid}").status_code == 200


def test_an_explicit_500_under_the_api_is_json_too(sandbox_app):
    from flask import abort

    sandbox_app.view_functions["api.get_order"], saved = (
        (lambda order_uuid: abort(500)),
        sandbox_app.view_functions["api.get_order"],
    )
    try:
        response = sandbox_app.test_client().get("/api/v1/orders/x", headers=AUTH)
    finally:
        sandbox_app.view_functions["api.get_order"] = saved
    assert response.status_code == 500
    assert response.json == {"status": False, "message": "Server Error", "appended_data": {}}


def test_errors_outside_the_api_keep_their_pages(sandbox_client, sandbox_checkout):
    session_id, _ = sandbox_checkout()
    response = sandbox_client.post(f"/checkout/{session_id}/pay", data={})  # no CSRF token
    assert response.status_code == 400 and not response.is_json
