"""The shop's Content-Security-Policy in a real Chromium.

Every journey already fails on a console error, and Chromium reports each CSP violation there,
so the journeys show that nothing on the shop's pages is blocked. What they cannot show is the
production shape: Points' hosted checkout on *another* origin. Chromium checks the 303 that
follows the Pay form against ``form-action``, so here the shop and a standalone sandbox listen
on two ports (two origins), and a shopper pays across them.
"""

import re

import pytest
import requests
from playwright.sync_api import expect

from storefront import create_app
from tests.conftest import TEST_LIMITS, TEST_SECRETS, ServerThread
from tests.e2e.conftest import DEVICES, BrowserWatch

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop_and_points_apart(tmp_path_factory):
    import points_sandbox

    folder = tmp_path_factory.mktemp("apart")
    shop = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'shop.db'}",
            "POINTS_API_URL": "http://127.0.0.1:1/api",  # replaced below, once the sandbox has a port
            "POINTS_DEMO_MODE": False,
            "WTF_CSRF_ENABLED": True,
            **TEST_SECRETS,
            **TEST_LIMITS,
        }
    )
    shop_server = ServerThread(shop.wsgi_app)
    sandbox = points_sandbox.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'points.db'}",
            "SANDBOX_WEBHOOK_URL_OVERRIDE": f"{shop_server.url}/webhooks/points",
            "SANDBOX_REDIRECT_SECONDS": 1,
        }
    )
    sandbox_server = ServerThread(sandbox.wsgi_app)
    shop.config["POINTS_API_URL"] = f"{sandbox_server.url}/api"
    yield shop_server.url, sandbox_server.url
    sandbox_server.stop()
    shop_server.stop()


def test_pay_reaches_a_points_checkout_on_another_origin_and_comes_back(browser, shop_and_points_apart):
    shop_url, points_url = shop_and_points_apart
    csp = requests.get(shop_url + "/checkout").headers["Content-Security-Policy"]
    assert f"form-action 'self' {points_url}" in csp

    watch = BrowserWatch(origin=shop_url)
    context = watch.watch(browser.new_context(base_url=shop_url, locale="en-US", **DEVICES["desktop"]))
    try:
        page = context.new_page()
        page.goto("/products/sukkari-dates")
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_role("link", name="Proceed to checkout").click()
        page.locator("[name=phone]").fill("0500000001")
        page.locator("[name=name]").fill("Sara Al-Qahtani")
        page.locator("[name=city]").fill("Riyadh")
        page.locator("[name=address_line]").fill("King Fahd Rd 1")
        page.get_by_test_id("pay-with-points").click()

        # On Points' origin: form-action let the browser follow the 303 there.
        page.wait_for_url(re.compile(re.escape(points_url) + r"/checkout/[^/?]+"))
        code = page.get_by_test_id("otp-code").inner_text().strip()
        page.get_by_test_id("otp-input").fill(code)
        page.get_by_test_id("verify-button").click()
        page.get_by_test_id("redeem-button").click()
        page.get_by_test_id("confirm-button").click()

        # And back on the shop's origin, confirmed by the webhook.
        page.wait_for_url(re.compile(re.escape(shop_url) + r"/checkout/callback\?"), timeout=15_000)
        expect(page.get_by_test_id("payment-confirmed")).to_be_visible(timeout=15_000)
        # The standalone sandbox has no /favicon.ico (mounted in the shop, the shop's answers it).
        problems = [p for p in watch.problems if f"{points_url}/favicon.ico" not in p]
        assert not problems, problems
    finally:
        context.close()
