"""The checkout form and the pages around the Points call, with the test client.

These tests need no Points at all: bad input must never reach it. The calls themselves are
tested against the real sandbox over HTTP in test_flow.py, and Points' error answers here with
requests-mock standing in for the Points server.
"""

import pytest
import sqlalchemy as sa
from page_text import text

from storefront.extensions import db
from storefront.models import Order, PointsApiCall

GOOD = {"phone": "0551234567", "name": "Sara Al-Qahtani", "city": "Riyadh", "address_line": "King Fahd Rd 1"}
POINTS_CHECKOUT = "http://points.invalid/api/v1/orders/checkout/pk_sandbox_demo"


@pytest.fixture
def cart_with_dates(client):
    response = client.post("/products/sukkari-dates", data={"quantity": 2})
    assert response.status_code == 302
    return client


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_checkout_with_an_empty_cart_sends_the_shopper_back_to_the_cart(app, client):
    response = client.get("/checkout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    assert client.post("/checkout", data=GOOD).status_code == 302
    with app.app_context():
        assert count(Order) == 0


def test_checkout_page_shows_the_summary_and_the_pay_button(cart_with_dates):
    page = cart_with_dates.get("/checkout").get_data(as_text=True)
    assert "Sukkari Dates Box" in page and "158.00 SAR" in text(page) and "183.00 SAR" in text(page)
    assert 'data-testid="pay-with-points"' in page


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("phone", "", "Enter your mobile number."),
        ("phone", "0112345678", "Enter a Saudi mobile number"),
        ("phone", "+971501234567", "Enter a Saudi mobile number"),
        ("phone", "05123", "Enter a Saudi mobile number"),
        ("name", "  ", "Enter your name."),
        ("city", "", "Enter your city."),
        ("address_line", "", "Enter your street address."),
        ("name", "x" * 256, "Field cannot be longer than 255 characters."),
    ],
)
def test_bad_input_rerenders_with_the_error_next_to_the_field_and_calls_nobody(
    app, cart_with_dates, requests_mock, field, value, message
):
    response = cart_with_dates.post("/checkout", data={**GOOD, field: value})
    assert response.status_code == 200  # re-rendered (200 keeps the browser console clean)
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert 'value="Sara Al-Qahtani"' in page or field == "name"  # what was typed stays
    assert requests_mock.call_count == 0
    with app.app_context():
        assert count(Order) == 0 and count(PointsApiCall) == 0


def test_csrf_protects_the_pay_button(app_config):
    from storefront import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    response = app.test_client().post("/checkout", data=GOOD)
    assert response.status_code == 400
    with app.app_context():
        assert count(Order) == 0


@pytest.mark.parametrize(
    "phone,normalised",
    [
        ("+966 55 123 4567", "551234567"),
        ("00966551234567", "551234567"),
        ("966-55-123-4567", "551234567"),
        ("055 123 4567", "551234567"),
        ("551234567", "551234567"),
    ],
)
def test_pay_sends_the_normalised_phone_and_redirects_303_to_the_checkout_url(
    app, cart_with_dates, requests_mock, phone, normalised
):
    requests_mock.post(
        POINTS_CHECKOUT,
        json={
            "status": True,
            "message": "",
            "appended_data": {},
            "data": {"checkout_url": "https://pay.example/session/abc"},
        },
    )
    response = cart_with_dates.post("/checkout", data={**GOOD, "phone": phone})
    assert response.status_code == 303 and response.headers["Location"] == "https://pay.example/session/abc"
    assert requests_mock.last_request.json()["phone_number"] == normalised
    with app.app_context():
        order = db.session.scalar(sa.select(Order))
        assert order.status == "pending_payment" and order.phone == normalised


@pytest.mark.parametrize(
    "status,body,reason",
    [
        (
            400,
            {"status": False, "message": "Invalid or inactive API key", "appended_data": {}},
            "could not start the payment",
        ),
        (
            403,
            {"status": False, "message": "Merchant is not allowed", "appended_data": {}},
            "could not start the payment",
        ),
        (
            422,
            {
                "status": False,
                "message": "The total price field is required.",
                "appended_data": {},
                "errors": {"total_price": ["The total price field is required."]},
            },
            "could not start the payment",
        ),
        (429, {"status": False, "message": "Too many requests", "appended_data": {}}, "Points is busy right now."),
    ],
)
def test_a_clear_refusal_ends_on_a_clear_page_that_keeps_the_cart_and_the_order(
    app, cart_with_dates, requests_mock, status, body, reason
):
    kwargs = {"json": body} if isinstance(body, dict) else {"text": body}
    requests_mock.post(POINTS_CHECKOUT, status_code=status, **kwargs)
    response = cart_with_dates.post("/checkout", data=GOOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 502
    assert reason in page and "your cart is saved" in page and 'data-testid="retry-pay"' in page
    assert "Traceback" not in page and "sk_sandbox_demo" not in page
    with app.app_context():
        order = db.session.scalar(sa.select(Order))
        assert order.status == "pending_payment" and order.last_error and str(status) in order.last_error
    assert "Sukkari Dates Box" in cart_with_dates.get("/cart").get_data(as_text=True)


@pytest.mark.parametrize(
    "answer,reason",
    [
        ({"status_code": 500, "text": "<html>oops</html>"}, "Points had a problem on its side."),
        (
            {"status_code": 503, "json": {"status": False, "message": "Down", "appended_data": {}}},
            "Points had a problem",
        ),
        ({"exc": "ReadTimeout"}, "Points did not answer in time."),
        ({"exc": "ConnectionError"}, "We could not reach Points."),
        ({"status_code": 200, "text": "<html>a proxy's page</html>"}, "Points sent an answer we could not read."),
    ],
)
def test_a_call_without_a_clear_answer_retires_the_order_and_try_again_starts_a_new_one(
    app, cart_with_dates, requests_mock, answer, reason
):
    import requests

    if "exc" in answer:
        answer = {"exc": getattr(requests.exceptions, answer["exc"])}
    requests_mock.post(POINTS_CHECKOUT, **answer)
    response = cart_with_dates.post("/checkout", data=GOOD)
    page = text(response.get_data(as_text=True))
    assert response.status_code == 502 and reason in page
    assert "We could not tell whether Points started your payment" in page and "nothing was charged" in page
    assert "Try again starts a fresh order with the same cart and a new reference." in page
    with app.app_context():
        first = db.session.scalar(sa.select(Order))
        assert (first.status, first.status_reason) == ("cancelled", "no answer from Points")
        assert first.order_number in page
    assert "Sukkari Dates Box" in cart_with_dates.get("/cart").get_data(as_text=True)

    requests_mock.post(POINTS_CHECKOUT, json={"status": True, "data": {"checkout_url": "https://points.invalid/c/1"}})
    again = cart_with_dates.post("/checkout", data=GOOD)
    assert again.status_code == 303
    sent = requests_mock.last_request.json()
    with app.app_context():
        second = db.session.scalar(sa.select(Order).where(Order.status == "pending_payment"))
    assert sent["order_number"] == second.order_number != first.order_number
    assert [p["quantity"] for p in sent["products"]] == [2]  # the same cart


def test_points_rejecting_the_phone_shows_it_next_to_the_phone_field(cart_with_dates, requests_mock):
    requests_mock.post(
        POINTS_CHECKOUT,
        status_code=422,
        json={
            "status": False,
            "message": "The phone number format is invalid.",
            "appended_data": {},
            "errors": {"phone_number": ["The phone number format is invalid."]},
        },
    )
    response = cart_with_dates.post("/checkout", data=GOOD)
    assert response.status_code == 200  # re-rendered (200 keeps the browser console clean)
    assert 'id="phone-error"' in response.get_data(as_text=True)


def test_a_refused_connection_ends_on_the_retry_page(app, cart_with_dates):
    app.config["POINTS_API_URL"] = "http://127.0.0.1:9/api"  # nothing listens on port 9
    response = cart_with_dates.post("/checkout", data=GOOD)
    assert response.status_code == 502 and "We could not reach Points." in response.get_data(as_text=True)


def test_a_points_timeout_ends_on_the_retry_page(app, cart_with_dates, requests_mock):
    import requests

    requests_mock.post(POINTS_CHECKOUT, exc=requests.exceptions.ReadTimeout)
    response = cart_with_dates.post("/checkout", data=GOOD)
    assert response.status_code == 502 and "Points did not answer in time." in response.get_data(as_text=True)
    assert requests_mock.last_request.timeout == 10


def test_unknown_callback_token_is_a_404_page(client):
    response = client.get("/checkout/callback?order=nope")
    assert response.status_code == 404 and "could not find" in response.get_data(as_text=True).lower()
    assert client.get("/checkout/callback").status_code == 404


@pytest.mark.parametrize(
    "status,testid",
    [
        ("pending_payment", "payment-pending"),
        ("authorized", "payment-pending"),
        ("paid", "payment-confirmed"),
        ("cancelled", "payment-failed"),
        ("needs_review", "payment-review"),
        ("refunded", "order-status"),
        ("partially_refunded", "order-status"),
    ],
)
def test_callback_page_shows_what_our_database_says(client, make_order, status, testid):
    order = make_order(status=status)
    page = client.get(f"/checkout/callback?order={order.token}", follow_redirects=True).get_data(as_text=True)
    assert f'data-testid="{testid}"' in page


@pytest.mark.parametrize(
    "query",
    [
        "&status=approved",
        "&status=paid&order_uuid=6b1d1c9e-0000-4000-8000-000000000000",
        "&status=captured&paid=1&total_price=0",
    ],
)
def test_callback_query_parameters_never_change_the_order(app, client, make_order, query):
    order = make_order()
    page = client.get(f"/checkout/callback?order={order.token}{query}").get_data(as_text=True)
    assert 'data-testid="payment-pending"' in page
    with app.app_context():
        assert db.session.get(Order, order.id).status == "pending_payment"


def test_callback_keeps_order_uuid_only_as_an_unverified_hint(app, client, make_order):
    order = make_order()
    client.get(f"/checkout/callback?order={order.token}&order_uuid=6b1d1c9e-0000-4000-8000-000000000000")
    with app.app_context():
        order = db.session.get(Order, order.id)
        assert order.points_uuid is None and order.points_uuid_hint == "6b1d1c9e-0000-4000-8000-000000000000"


def test_waiting_page_refreshes_every_2s_then_says_we_are_still_confirming(client, make_order):
    order = make_order()
    first = client.get(f"/checkout/callback?order={order.token}").get_data(as_text=True)
    assert 'http-equiv="refresh" content="2;' in first and "waited=1" in first
    late = client.get(f"/checkout/callback?order={order.token}&waited=15").get_data(as_text=True)
    assert "still confirming" in late and f"/orders/{order.token}" in late
    assert 'http-equiv="refresh" content="10;' in late


def test_try_again_after_a_failure_restores_the_cart(client, make_order):
    order = make_order(status="cancelled", lines=(("ajwa-dates", 2), ("rose-water", 1)))
    response = client.post(f"/checkout/retry/{order.token}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/checkout")
    cart = client.get("/cart").get_data(as_text=True)
    assert "Ajwa Dates" in cart and "Taif Rose Water" in cart


def test_shoppers_order_page_shows_status_and_shipping(client, make_order):
    order = make_order(status="paid", shipping_status="delivery_is_in_progress")
    page = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert "Paid" in page and "Out for delivery" in page and order.order_number in page
    assert "500000001" not in page


@pytest.mark.parametrize("bad", ["../webhooks", "not-a-uuid", "6b1d1c9e-0000-4000-8000-000000000000/../../webhooks"])
def test_callback_ignores_an_order_uuid_hint_that_is_not_a_uuid(app, client, make_order, bad):
    order = make_order()
    client.get(f"/checkout/callback?order={order.token}&order_uuid={bad}")
    with app.app_context():
        assert db.session.get(Order, order.id).points_uuid_hint is None
