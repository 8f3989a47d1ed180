"""What a merchant's security review asks of the shop: headers on every page, the shop's own
address from configuration, strict settings, odd input answered 4xx, and Pay presses limited.

The login and staff-session rules are in ``test_admin_auth.py``. Run these on PostgreSQL too
(``scripts/with-postgres python -m pytest tests/test_security*.py``): that is where odd input bit.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from storefront import create_app
from storefront.admin.forms import OUT_OF_DATE
from storefront.config import load_config, refuse_demo_values_in_production
from storefront.extensions import db
from storefront.models import Order, PointsApiCall, RateLimit

GOOD = {"phone": "0551234567", "name": "Sara Al-Qahtani", "city": "Riyadh", "address_line": "King Fahd Rd 1"}
POINTS_CHECKOUT = "http://points.invalid/api/v1/orders/checkout/pk_sandbox_demo"
LIVE_CHECKOUT = "http://points.invalid/api/v1/orders/checkout/pk_live"
CHECKOUT_ANSWER = {
    "status": True,
    "message": "",
    "appended_data": {},
    "data": {"checkout_url": "https://pay.example/s/1"},
}
SHOP = "https://shop.example.com"


# --- 1. Security headers on every page of the shop ------------------------------------------------


def _shop_rules():
    """Every (method, rule) of the shop's URL map: a new page is covered the day it is added."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "POINTS_API_URL": "http://points.invalid/api",
            "POINTS_DEMO_MODE": False,
            "SECRET_KEY": "x" * 32,
        }
    )
    rules = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append((method, rule.rule))
    return rules


SAMPLE_VALUES = {"slug": "sukkari-dates", "product_id": "1", "line_id": "1", "filename": "css/shop.css", "code": "ar"}


@pytest.fixture
def shop_page(staff_client, make_order):
    """A staff client (admin pages render) and a path for each rule, filled with real values."""
    order = make_order("paid")
    values = {**SAMPLE_VALUES, "token": order.token, "order_number": order.order_number}

    def path_for(rule):
        for name, value in values.items():
            rule = rule.replace(f"<{name}>", value).replace(f"<int:{name}>", value).replace(f"<path:{name}>", value)
        assert "<" not in rule, f"no sample value for {rule}: add one to SAMPLE_VALUES"
        return rule

    return staff_client, path_for


@pytest.mark.parametrize("method, rule", _shop_rules())
def test_every_shop_page_carries_the_security_headers(shop_page, method, rule):
    client, path_for = shop_page
    response = client.open(path_for(rule), method=method)
    assert response.status_code < 500
    csp = dict(
        d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";") if " " in d.strip()
    )
    assert "unsafe-inline" not in csp["script-src"]
    # Only a page with a Points widget opens styles to 'unsafe-inline', as Points' guidelines ask.
    from storefront.security import WIDGET_ENDPOINTS

    endpoint = client.application.url_map.bind("localhost").match(path_for(rule), method=method)[0]
    assert ("unsafe-inline" in csp["style-src"]) == (endpoint in WIDGET_ENDPOINTS)
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_no_template_of_the_shop_has_an_inline_script_or_style():
    import re
    from pathlib import Path

    for template in Path(__file__).parents[1].joinpath("templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8").lower()
        for inline in ("<style", " style=", " onclick=", " onload=", " onsubmit=", "javascript:"):
            assert inline not in text, f"{template.name} has {inline.strip()}: the CSP would block it"
        # A script is a file of ours under static/ (script-src 'self'), never inline.
        for script in re.findall(r"<script[^>]*>(.*?)</script>", text, re.S):
            assert script == "", f"{template.name} has an inline script: the CSP would block it"
        for tag in re.findall(r"<script[^>]*>", text):
            # Ours from static/, or Points' own widget loader (decisions: "Points widgets").
            assert "url_for('static'" in tag or "points_widget_loader()" in tag, (
                f"{template.name} loads a script from outside static/"
            )


def test_form_action_allows_the_points_checkout_origin(app, client):
    csp = client.get("/").headers["Content-Security-Policy"]
    form_action = next(d for d in csp.split(";") if d.strip().startswith("form-action")).split()[1:]
    # The 303 after Pay goes to Points' hosted checkout, and Chromium checks form-action on it.
    assert form_action == ["'self'", "http://points.invalid"]


def test_form_action_adds_the_configured_checkout_origins(app_config):
    app = create_app(
        {
            **app_config,
            "POINTS_API_URL": "https://sandbox.papp.sa/api",
            "POINTS_CHECKOUT_ORIGINS": ["https://pay.papp.sa"],
            "SECRET_KEY": "k" * 32,
            "POINTS_PUBLIC_KEY": "pk_live",
            "POINTS_PRIVATE_KEY": "sk_live",
            "POINTS_WEBHOOK_SECRET": "whsec_live",
        }
    )
    csp = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "form-action 'self' https://sandbox.papp.sa https://pay.papp.sa;" in csp + ";"


def test_in_demo_mode_form_action_allows_the_embedded_sandbox_at_this_servers_own_address(app_config):
    app = create_app({**app_config, "POINTS_API_URL": None, "POINTS_DEMO_MODE": True})
    response = app.test_client().get(
        "/", base_url="http://localhost:5000", environ_overrides={"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000"}
    )
    assert "form-action 'self' http://127.0.0.1:5000;" in response.headers["Content-Security-Policy"] + ";"


def test_a_checkout_url_on_an_origin_the_csp_does_not_list_is_logged_for_the_operator(client, requests_mock, caplog):
    requests_mock.post(POINTS_CHECKOUT, json=CHECKOUT_ANSWER)  # https://pay.example/s/1
    response = _press_pay(client)
    assert response.status_code == 303
    assert "does not list pay.example" in caplog.text and "POINTS_CHECKOUT_ORIGINS" in caplog.text


@pytest.mark.parametrize("listed", ["https://pay.example", "https://*.example"])
def test_a_checkout_url_on_a_listed_origin_logs_nothing(app_config, requests_mock, caplog, listed):
    app = create_app({**app_config, "POINTS_CHECKOUT_ORIGINS": [listed]})
    requests_mock.post(POINTS_CHECKOUT, json=CHECKOUT_ANSWER)
    assert _press_pay(app.test_client()).status_code == 303
    assert "POINTS_CHECKOUT_ORIGINS" not in caplog.text


@pytest.fixture
def production_config(app_config):
    return {
        **app_config,
        "PRODUCTION": True,
        "SESSION_COOKIE_SECURE": True,
        "SHOP_BASE_URL": SHOP,
        "TRUSTED_HOSTS": ["shop.example.com"],
        "SECRET_KEY": "p" * 40,
        "POINTS_PUBLIC_KEY": "pk_live",
        "POINTS_PRIVATE_KEY": "sk_live",
        "POINTS_WEBHOOK_SECRET": "whsec_live",
    }


def test_hsts_is_sent_in_production_only(production_config):
    response = create_app(production_config).test_client().get("/", base_url=SHOP)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


# --- 2. The Host header never writes callback_url ----------------------------------------------


def _press_pay(client, **kwargs):
    client.post("/products/sukkari-dates", data={"quantity": 1}, **kwargs)
    return client.post("/checkout", data=GOOD, **kwargs)


def test_in_production_a_forged_host_is_refused_before_anything_happens(production_config, requests_mock):
    app = create_app(production_config)
    requests_mock.post(LIVE_CHECKOUT, json=CHECKOUT_ANSWER)
    response = _press_pay(app.test_client(), base_url="https://evil.example")
    assert response.status_code == 400 and b"Bad request" in response.data
    assert requests_mock.call_count == 0


def test_in_production_callback_url_comes_from_shop_base_url(production_config, requests_mock):
    # Even a second name the operator trusts (an alias) does not become the callback's host.
    app = create_app({**production_config, "TRUSTED_HOSTS": ["shop.example.com", "www.shop.example.com"]})
    requests_mock.post(LIVE_CHECKOUT, json=CHECKOUT_ANSWER)
    response = _press_pay(app.test_client(), base_url="https://www.shop.example.com")
    assert response.status_code == 303
    assert requests_mock.last_request.json()["callback_url"].startswith(f"{SHOP}/checkout/callback?order=")


def test_in_production_forwarded_headers_are_ignored_without_trusted_proxies(production_config, requests_mock):
    app = create_app(production_config)
    requests_mock.post(LIVE_CHECKOUT, json=CHECKOUT_ANSWER)
    response = _press_pay(app.test_client(), base_url=SHOP, headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 303
    assert requests_mock.last_request.json()["callback_url"].startswith(f"{SHOP}/checkout/callback?order=")


def test_behind_a_trusted_proxy_a_forged_forwarded_host_is_refused(production_config, requests_mock):
    app = create_app({**production_config, "TRUSTED_PROXIES": 1})
    requests_mock.post(LIVE_CHECKOUT, json=CHECKOUT_ANSWER)
    response = _press_pay(
        app.test_client(),
        base_url="http://10.0.0.5:8000",
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 400 and requests_mock.call_count == 0


@pytest.mark.parametrize("base_url", ["http://localhost:5000", "http://127.0.0.1:8123", "http://192.0.2.7:5000"])
def test_the_demo_answers_on_any_host_and_port(app_config, base_url):
    app = create_app({**app_config, "POINTS_API_URL": None, "POINTS_DEMO_MODE": True})
    assert app.test_client().get("/", base_url=base_url).status_code == 200


def test_production_trusts_the_host_of_shop_base_url_by_default(monkeypatch):
    monkeypatch.setenv("SHOP_BASE_URL", "https://shop.example.com/")
    monkeypatch.setenv("PRODUCTION", "1")
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    config = load_config()
    assert config["SHOP_BASE_URL"] == SHOP and config["TRUSTED_HOSTS"] == ["shop.example.com"]
    monkeypatch.setenv("TRUSTED_HOSTS", "www.shop.example.com, .cdn.example.com")
    assert load_config()["TRUSTED_HOSTS"] == ["shop.example.com", "www.shop.example.com", ".cdn.example.com"]


def test_points_checkout_origins_are_read_as_origins(monkeypatch):
    monkeypatch.setenv("POINTS_CHECKOUT_ORIGINS", " https://pay.papp.sa/  https://*.papp.sa/session ")
    assert load_config()["POINTS_CHECKOUT_ORIGINS"] == ["https://pay.papp.sa", "https://*.papp.sa"]


# --- 5. Settings parsed strictly ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        ("Yes", True),
        ("on", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("False", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_production_is_read_as_a_boolean_in_every_usual_spelling(monkeypatch, text, value):
    monkeypatch.setenv("PRODUCTION", text)
    config = load_config()
    assert config["PRODUCTION"] is value and config["SESSION_COOKIE_SECURE"] is value


@pytest.mark.parametrize("text", ["maybe", "y", "2", "enabled", "yes please"])
def test_a_boolean_setting_that_is_not_one_refuses_to_start(monkeypatch, text):
    monkeypatch.setenv("PRODUCTION", text)
    with pytest.raises(RuntimeError, match=r"PRODUCTION must be one of 1/0, true/false, yes/no, on/off"):
        load_config()


@pytest.mark.parametrize(
    "name, text",
    [
        ("TRUSTED_PROXIES", "one"),
        ("POINTS_TIMEOUT_SECONDS", "ten"),
        ("SHIPPING_FLAT_RATE", "25,00"),
        ("CHECKOUT_LIMIT_PER_ADDRESS", "-1"),
    ],
)
def test_a_number_setting_that_is_not_one_names_the_variable(monkeypatch, name, text):
    monkeypatch.setenv(name, text)
    with pytest.raises(RuntimeError, match=name):
        load_config()


def _real_production(**changes):
    return {
        "PRODUCTION": True,
        "SECRET_KEY": "s" * 32,
        "POINTS_PUBLIC_KEY": "pk_live",
        "POINTS_PRIVATE_KEY": "sk_live",
        "POINTS_WEBHOOK_SECRET": "whsec_live",
        "POINTS_DEMO_MODE": False,
        "SHOP_BASE_URL": SHOP,
        **changes,
    }


def test_production_refuses_a_secret_key_shorter_than_32_characters():
    refuse_demo_values_in_production(_real_production())
    with pytest.raises(RuntimeError, match="SECRET_KEY.*32"):
        refuse_demo_values_in_production(_real_production(SECRET_KEY="s" * 31))


@pytest.mark.parametrize(
    "shop_base_url", ["http://127.0.0.1:5000", "http://shop.example.com", "shop.example.com", None]
)
def test_production_needs_the_shops_own_https_address(shop_base_url):
    with pytest.raises(RuntimeError, match="SHOP_BASE_URL"):
        refuse_demo_values_in_production(_real_production(SHOP_BASE_URL=shop_base_url))


# --- 6. Odd input is a 400 or a field error, never a 500 (SQLite and PostgreSQL) ----------------


@pytest.mark.parametrize(
    "path",
    [
        "/?category=%00",
        "/?category=Coffee%00",
        "/?%00=1",
        "/products/%00",
        "/products/sukkari%00dates",
        "/orders/%00",
        "/checkout/callback?order=%00",
        "/checkout/callback?order=x&order_uuid=%00",
    ],
)
def test_a_nul_byte_in_a_path_or_query_is_a_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert b"NUL" in response.data


@pytest.mark.parametrize("field", list(GOOD))
def test_a_nul_byte_in_a_checkout_field_is_a_400_and_calls_nobody(app, client, requests_mock, field):
    client.post("/products/sukkari-dates", data={"quantity": 1})
    response = client.post("/checkout", data={**GOOD, field: GOOD[field][:3] + "\x00" + GOOD[field][3:]})
    assert response.status_code == 400
    with app.app_context():
        assert requests_mock.call_count == 0 and db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_a_nul_byte_in_the_login_email_is_a_400(client):
    assert client.post("/admin/login", data={"email": "staff@example.test\x00", "password": "x"}).status_code == 400


def test_a_nul_byte_in_the_admin_search_is_a_400(staff_client):
    assert staff_client.get("/admin/orders?q=%00").status_code == 400


def test_a_nul_byte_in_a_cart_form_is_a_400(client):
    client.post("/products/sukkari-dates", data={"quantity": 1})
    assert client.post("/cart/lines/1", data={"quantity": "1\x00"}).status_code == 400


def test_the_webhook_body_is_not_judged_by_the_nul_filter(client):
    # The webhook reads its raw JSON body itself (and answers 401 before reading it unverified).
    response = client.post(
        "/webhooks/points", data=b'{"event": "order.approved\\u0000"}', content_type="application/json"
    )
    assert response.status_code == 401


@pytest.mark.parametrize("page", ["9223372036854775807", "9223372036854775808", "99999999999999999999999", "-5", "0"])
@pytest.mark.parametrize("path", ["/admin/orders", "/admin/webhooks"])
def test_a_huge_or_negative_page_number_is_clamped(staff_client, make_order, path, page):
    make_order("paid")
    response = staff_client.get(f"{path}?page={page}&per_page={page}")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/cart/lines/9223372036854775808", "/cart/lines/99999999999999999999999/remove"])
def test_a_huge_product_id_in_a_cart_path_is_not_a_500(client, path):
    client.post("/products/sukkari-dates", data={"quantity": 1})
    assert client.post(path, data={"quantity": 1}).status_code in (302, 404)


@pytest.mark.parametrize("quantity", ["9223372036854775808", "1e309", "NaN", "-9223372036854775809"])
def test_a_huge_quantity_is_a_field_error(client, quantity):
    response = client.post("/products/sukkari-dates", data={"quantity": quantity})
    assert response.status_code == 200 and b"Choose a quantity from 1 to" in response.data


@pytest.mark.parametrize("amount", ["1e309", "-1e309", "1E+400", "NaN", "sNaN", "Infinity", "-Infinity", "1e-400"])
def test_an_absurd_refund_amount_is_a_field_error_and_calls_nobody(
    app, staff_client, make_order, requests_mock, amount
):
    order = make_order("paid", points_uuid="0b5c3f8e-6a43-4a1c-9d1c-7f0e1b2a3c4d")
    response = staff_client.post(f"/admin/orders/{order.order_number}/refund", data={"amount": amount, "reason": "x"})
    assert response.status_code == 303  # post/redirect/get: the order page shows the field error
    assert b"Enter an amount in SAR" in staff_client.get(response.headers["Location"]).data
    with app.app_context():
        assert requests_mock.call_count == 0 and db.session.scalar(sa.select(sa.func.count(PointsApiCall.id))) == 0


# --- 7. Pay presses are limited per address and per cart ------------------------------------


@pytest.fixture
def limits(app_config):
    """The shipped defaults (the test config raises them so other tests are never throttled)."""
    app_config.update(CHECKOUT_LIMIT_PER_ADDRESS=10, CHECKOUT_LIMIT_PER_CART=5)


def _new_shopper(app, address):
    shopper = app.test_client()
    shopper.environ_base["REMOTE_ADDR"] = address
    shopper.post("/products/sukkari-dates", data={"quantity": 1})
    return shopper


def test_the_eleventh_pay_press_in_a_minute_from_one_address_gets_a_friendly_429(limits, app, requests_mock):
    requests_mock.post(POINTS_CHECKOUT, json=CHECKOUT_ANSWER)
    for _n in range(10):
        assert _new_shopper(app, "203.0.113.9").post("/checkout", data=GOOD).status_code == 303
    shopper = _new_shopper(app, "203.0.113.9")
    response = shopper.post("/checkout", data=GOOD)
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    page = response.get_data(as_text=True)
    assert "Too many payment attempts" in page and "Your cart is kept" in page
    assert requests_mock.call_count == 10
    assert "Sukkari Dates Box" in shopper.get("/cart").get_data(as_text=True)  # the cart is kept
    # Another address is not affected.
    assert _new_shopper(app, "203.0.113.10").post("/checkout", data=GOOD).status_code == 303


def test_the_sixth_pay_press_in_a_minute_for_one_cart_gets_a_429_whatever_the_address(limits, app, requests_mock):
    requests_mock.post(POINTS_CHECKOUT, json=CHECKOUT_ANSWER)
    shopper = _new_shopper(app, "203.0.113.1")
    for n in range(5):
        shopper.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        # New details each time: each press would be a new Points order.
        assert shopper.post("/checkout", data={**GOOD, "name": f"Sara {n}"}).status_code == 303
    shopper.environ_base["REMOTE_ADDR"] = "203.0.113.99"
    assert shopper.post("/checkout", data=GOOD).status_code == 429
    assert requests_mock.call_count == 5


def test_a_minute_later_pay_works_again(limits, app, requests_mock):
    requests_mock.post(POINTS_CHECKOUT, json=CHECKOUT_ANSWER)
    shopper = _new_shopper(app, "203.0.113.9")
    for n in range(6):
        shopper.post("/checkout", data={**GOOD, "name": f"Sara {n}"})
    assert shopper.post("/checkout", data=GOOD).status_code == 429
    with app.app_context():
        db.session.execute(
            sa.update(RateLimit).values(window_started_at=RateLimit.window_started_at - timedelta(seconds=61))
        )
        db.session.commit()
    assert shopper.post("/checkout", data=GOOD).status_code == 303


def test_an_invalid_checkout_form_does_not_use_up_the_limit(limits, app, requests_mock):
    requests_mock.post(POINTS_CHECKOUT, json=CHECKOUT_ANSWER)
    shopper = _new_shopper(app, "203.0.113.9")
    for _ in range(8):
        assert shopper.post("/checkout", data={**GOOD, "phone": "123"}).status_code == 200
    assert shopper.post("/checkout", data=GOOD).status_code == 303


def test_concurrent_pay_presses_from_one_address_reach_points_at_most_the_limit(limits, app, requests_mock):
    requests_mock.post(POINTS_CHECKOUT, json=CHECKOUT_ANSWER)
    shoppers = [_new_shopper(app, "203.0.113.9") for _ in range(30)]
    barrier = threading.Barrier(len(shoppers))

    def press(shopper):
        barrier.wait()
        return shopper.post("/checkout", data=GOOD).status_code

    with ThreadPoolExecutor(len(shoppers)) as pool:
        statuses = sorted(pool.map(press, shoppers))
    assert statuses == [303] * 10 + [429] * 20
    assert requests_mock.call_count == 10


@pytest.mark.parametrize(
    "remote_addr, counted_as",
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_subscriber_is_counted_as_its_whole_64(remote_addr, counted_as):
    from storefront.rate_limits import client_address

    assert client_address(remote_addr) == counted_as


def test_hopping_between_ipv6_addresses_of_one_64_does_not_escape_the_pay_limit(limits, app, requests_mock):
    requests_mock.post(POINTS_CHECKOUT, json=CHECKOUT_ANSWER)
    for n in range(10):
        assert _new_shopper(app, f"2001:db8:1:2::{n + 1:x}").post("/checkout", data=GOOD).status_code == 303
    assert _new_shopper(app, "2001:db8:1:2::ff").post("/checkout", data=GOOD).status_code == 429
    assert _new_shopper(app, "2001:db8:1:3::1").post("/checkout", data=GOOD).status_code == 303


def test_the_embedded_sandbox_keeps_its_own_headers(app_config):
    # Mounted beside the shop (demo mode), the sandbox answers without passing through the
    # shop's after_request: the shop's policy must not break the sandbox's pages, nor the reverse.
    from points_sandbox.mount import mount

    app = create_app({**app_config, "POINTS_API_URL": None, "POINTS_DEMO_MODE": True})
    mount(app, at="/points-sandbox", config={"SQLALCHEMY_DATABASE_URI": "sqlite://", "SANDBOX_WEBHOOK_WORKER": False})
    client = app.test_client()
    shop_policy = client.get("/").headers["Content-Security-Policy"]
    assert client.get("/points-sandbox/").headers.get("Content-Security-Policy") != shop_policy


# --- CSRF on every form ----------------------------------------------------------------------------


def test_every_form_of_the_shop_refuses_a_post_without_its_csrf_token(app_config):
    """Every POST route but the webhook, read off the URL map, so a new form cannot slip past."""
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    client.get("/products/ajwa-dates")  # a session with a CSRF token in it, as a shopper has
    posts = [
        rule
        for rule in app.url_map.iter_rules()
        # The webhook's two addresses (the second while its secret rolls): no token, the secret instead.
        if "POST" in rule.methods and rule.endpoint not in ("webhooks.points_webhook", "webhooks.points_webhook_next")
    ]
    assert len(posts) == len([r for r in app.url_map.iter_rules() if "POST" in r.methods]) - 2 >= 10
    with app.app_context():
        orders_before = db.session.scalar(sa.select(sa.func.count(Order.id)))
    for rule in posts:
        url = re.sub(r"<[^>]+>", "1", rule.rule)
        response = client.post(url, data={"quantity": 1, "phone": "0551234567", "name": "Sara"})
        if rule.endpoint.startswith("admin.") and "order_number" in rule.arguments:
            # A staff action lands back on its order page, saying the form was out of date.
            assert response.status_code == 303 and response.headers["Location"] == "/admin/orders/1", rule.rule
            with client.session_transaction() as session:
                said = [message for _, message in session.pop("_flashes", [])]
            assert said == [str(OUT_OF_DATE)], rule.rule
        else:
            assert response.status_code == 400, (rule.rule, response.status_code)
            assert "came from another site" in response.get_data(as_text=True), rule.rule
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) == orders_before
    assert client.get("/").status_code == 200  # pages are not checked
