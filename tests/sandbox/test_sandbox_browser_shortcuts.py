"""In real Chromium, with JavaScript on and off: the sandbox-only shortcuts take a shopper from
the phone step to a paid order in one tap per step, and the pages follow the browser's language."""

import threading

import pytest
import requests
from werkzeug.serving import make_server

from points_sandbox import create_app

from .conftest import CHECKOUT, _stop

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(sandbox_config):
    app = create_app(sandbox_config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    _stop(app)


def start(served, **fields):
    body = {"total_price": 40, "order_number": "B-S-1", "callback_url": served + "/checkout-return", **fields}
    return requests.post(served + CHECKOUT, json=body).json()["data"]["checkout_url"]


@pytest.mark.parametrize("javascript", [True, False])
def test_one_tap_per_step_pays_with_the_test_card(served, browser, javascript):
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(start(served))  # no phone: the phone step first
    page.get_by_test_id("test-phone-500000001").click()
    page.get_by_test_id("fill-test-shopper").click()
    page.get_by_test_id("redeem-partial").check()
    page.get_by_test_id("partial-amount").fill("10")
    page.get_by_test_id("redeem-button").click()
    page.get_by_test_id("confirm-button").click()
    page.get_by_test_id("test-card-4000000000000002").click()
    assert page.get_by_test_id("card-error").is_visible()
    page.get_by_test_id("test-card-4111111111111111").click()
    assert page.get_by_test_id("done-title").is_visible()
    session_id = page.url.rsplit("/", 1)[-1]
    assert requests.get(f"{served}/_control/sessions/{session_id}").json()["order_status"] == "approved"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
    context.close()


@pytest.mark.parametrize(
    "locale, lang, title", [("en-US", "en", "Verify your number"), ("ar-SA", "ar", "تحقق من رقمك")]
)
def test_the_page_opens_in_the_browsers_language(served, browser, locale, lang, title):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(start(served, phone_number="500000001"))
    assert page.get_attribute("html", "lang") == lang
    assert page.get_by_test_id("verify-title").inner_text() == title
    page.get_by_test_id("lang-switch").click()  # the switch wins, and is remembered
    page.reload()
    assert page.get_attribute("html", "lang") == ("ar" if lang == "en" else "en")
    context.close()
