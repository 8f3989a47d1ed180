"""What only a browser shows: the OTP boxes are empty until a digit is typed (they used to show
a bold 0 that looked typed), and the control page fits a 390 px phone without sideways scroll.

Debian's Chromium (`/usr/bin/chromium` or $CHROMIUM_PATH) driven by Playwright; skipped without it.
"""

import threading

import pytest
import requests
from playwright.sync_api import expect
from werkzeug.serving import make_server

from points_sandbox import create_app

from .conftest import CHECKOUT, _stop

pytestmark = pytest.mark.e2e  # the session's browser (tests/conftest.py): skipped without Chromium, failed in CI


@pytest.fixture
def served(sandbox_config):
    app = create_app(sandbox_config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    _stop(app)


def test_the_otp_boxes_are_empty_until_digits_are_typed(served, browser):
    checkout_url = requests.post(
        served + CHECKOUT, json={"total_price": 10, "order_number": "B-1", "phone_number": "500000001"}
    ).json()["data"]["checkout_url"]
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(checkout_url)
    boxes = page.locator(".otp-boxes span")
    assert boxes.count() == 4
    assert boxes.all_text_contents() == ["", "", "", ""]
    page.get_by_test_id("otp-input").press_sequentially("12")
    assert boxes.all_text_contents() == ["1", "2", "", ""]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_control_page_has_no_sideways_scroll(served, browser, width):
    for n in range(3):  # a log with long rows: orders, sessions, deliveries
        requests.post(served + CHECKOUT, json={"total_price": 10, "order_number": f"PTS-2026-00000{n}"})
        requests.post(served + "/_control/trigger", json={"event": "debt_exceeded"})
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(served + "/_control/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_test_id("chaos-delay").fill("5s")
    page.get_by_test_id("chaos-save").click()
    page.wait_for_load_state("load")  # measured with its stylesheet applied, not while it loads
    assert (
        page.get_by_test_id("error-webhook_delay_seconds").inner_text() == "The webhook delay seconds must be a number."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("stays", [False, True])
def test_the_done_page_returns_to_the_store_unless_the_shopper_chooses_to_stay(served, browser, stays):
    """Back to the store after a few seconds (sandbox.js, not a meta refresh: the shopper can stop it)."""
    checkout_url = requests.post(
        served + CHECKOUT,
        json={
            "total_price": 10,
            "order_number": f"B-{2 + stays}",
            "phone_number": "500000001",
            "callback_url": "http://shop.test/checkout/return?order=tok1",
        },
    ).json()["data"]["checkout_url"]
    requests.post(
        f"{served}/_control/sessions/{checkout_url.rsplit('/', 1)[-1]}/complete",
        json={"phone_number": "500000001", "points": 0, "card_number": "4111111111111111"},
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.route(
        "http://shop.test/**", lambda route: route.fulfill(body="<title>The shop</title>", content_type="text/html")
    )
    page.clock.install()  # the page's timer runs on this clock, moved on by hand below
    page.goto(checkout_url + "?lang=en")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # only for a browser without JavaScript
    assert "Taking you back to the store" in page.get_by_test_id("redirect-note").inner_text()
    if stays:
        page.get_by_role("button", name="Stay on this page").click()
        expect(page.get_by_test_id("redirect-note")).to_be_hidden()
    page.clock.run_for(5_000)
    if stays:
        assert page.get_by_test_id("done-title").is_visible() and page.get_by_test_id("return-link").is_visible()
    else:
        page.wait_for_url("http://shop.test/checkout/return?**")
    page.close()
