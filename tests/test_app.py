"""The app as an operator meets it: settings, the catalogue seed, secrets and PII kept out of sight."""

import logging

import pytest
import sqlalchemy as sa

from storefront.config import refuse_demo_values_in_production
from storefront.extensions import db
from storefront.models import Product


def test_first_start_seeds_the_catalogue_and_seed_reseeds_it(app, runner):
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Product.id))) >= 12
        product = db.session.scalar(sa.select(Product).where(Product.slug == "ajwa-dates"))
        product.price = 1
        db.session.commit()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0 and "Seeded" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(Product.price).where(Product.slug == "ajwa-dates")) == 120


@pytest.mark.parametrize("missing", ["SECRET_KEY", "POINTS_PRIVATE_KEY", "POINTS_WEBHOOK_SECRET", "POINTS_API_URL"])
def test_production_refuses_to_start_with_demo_settings(missing):
    real = {
        "PRODUCTION": True,
        "SECRET_KEY": "s" * 32,
        "POINTS_PUBLIC_KEY": "pk_live",
        "POINTS_PRIVATE_KEY": "sk_live",
        "POINTS_WEBHOOK_SECRET": "whsec_live",
        "POINTS_DEMO_MODE": False,
        "SHOP_BASE_URL": "https://shop.example.com",
    }
    refuse_demo_values_in_production(real)  # all real: starts
    demo = {
        "SECRET_KEY": "dev-only-secret-change-me",
        "POINTS_PRIVATE_KEY": "sk_sandbox_demo",
        "POINTS_WEBHOOK_SECRET": "whsec_sandbox_demo",
    }
    broken = {**real, **({"POINTS_DEMO_MODE": True} if missing == "POINTS_API_URL" else {missing: demo[missing]})}
    with pytest.raises(RuntimeError, match=missing):
        refuse_demo_values_in_production(broken)


def test_no_page_or_log_line_shows_a_secret_or_a_phone_number(live, caplog):
    caplog.set_level(logging.DEBUG)
    shopper = live.shopper()
    url = live.start_checkout(shopper, "sukkari-dates", 1, phone="+966 50 000 0001")
    order = live.latest_order()
    result = live.complete(url, phone="500000001", points=100)
    live.wait_for_status(order.order_number, "paid")
    pages = [
        shopper.get(result["redirect_url"]).text,
        shopper.get(f"{live.url}/orders/{order.token}").text,
        shopper.get(live.url + "/").text,
    ]
    for text in pages + [caplog.text]:
        for secret in ("sk_sandbox_demo", "whsec_sandbox_demo", "test-secret-key"):
            assert secret not in text
        assert "500000001" not in text and "0500000001" not in text


@pytest.mark.parametrize(
    "api_url,refused",
    [
        ("https://sandbox.papp.sa/api", True),
        ("https://business.papp.sa/api", True),
        ("http://127.0.0.1:5001/api", False),
        ("http://localhost:5000/points-sandbox/api", False),
        (None, False),
    ],
)
def test_demo_secrets_are_refused_against_a_real_points_even_without_production(api_url, refused):
    config = {
        "POINTS_API_URL": api_url,
        "POINTS_DEMO_MODE": api_url is None,
        "SECRET_KEY": "dev-only-secret-change-me",
        "POINTS_PUBLIC_KEY": "pk_live",
        "POINTS_PRIVATE_KEY": "sk_live",
        "POINTS_WEBHOOK_SECRET": "whsec_live",
    }
    if refused:
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            refuse_demo_values_in_production(config)
    else:
        refuse_demo_values_in_production(config)


def test_behind_a_trusted_proxy_the_callback_url_is_https(app_config, requests_mock):
    from storefront import create_app

    app = create_app({**app_config, "TRUSTED_PROXIES": 1})
    requests_mock.post(
        "http://points.invalid/api/v1/orders/checkout/pk_sandbox_demo",
        json={"status": True, "message": "", "appended_data": {}, "data": {"checkout_url": "https://pay.example/s/1"}},
    )
    shopper = app.test_client()
    shopper.post("/products/sukkari-dates", data={"quantity": 1})
    response = shopper.post(
        "/checkout",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com"},
        data={"phone": "0500000001", "name": "Sara", "city": "Riyadh", "address_line": "1 Rd"},
    )
    assert response.status_code == 303
    assert requests_mock.last_request.json()["callback_url"].startswith(
        "https://shop.example.com/checkout/callback?order="
    )
