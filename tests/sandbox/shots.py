"""Click through the hosted checkout in headless Chromium and save screenshots, Arabic and
English, desktop (1280) and phone (390) widths, to compare with shared/points-hosted-checkout/.

    python tests/sandbox/shots.py [/tmp/sandbox-shots]

Not collected by pytest: it is for looking, not asserting (its waits do assert the steps).
"""

import sys
import tempfile
import threading
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: chromium.py
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from points_sandbox import create_app  # noqa: E402


def shop(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [b"<h1>The shop's return page</h1>"]


def earn(base, number, phone, refund=None):
    """An earning order on the control page (and, with `refund`, some of its points reversed)."""
    key = {"x-api-key": "sk_sandbox_demo"}
    sale = {"phone_number": phone, "total_price": 115, "order_number": number}
    sale["products"] = [{"product_name": "Cappuccino", "product_price": 115, "quantity": 1}]
    data = requests.post(f"{base}/api/v1/orders/earning", json=sale, headers=key).json()["data"]
    if refund:
        requests.post(f"{base}/api/v1/orders/{data['uuid']}/refund", json={"amount": refund}, headers=key)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp()
    sandbox = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/shots.db",
            "SANDBOX_WEBHOOK_WORKER": False,
            "SANDBOX_REDIRECT_SECONDS": 600,
        }
    )
    server = make_server("127.0.0.1", 0, DispatcherMiddleware(shop, {"/points-sandbox": sandbox}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/points-sandbox"
    counter = iter(range(1000))

    def checkout(total, phone="500000001"):
        requests.post(f"{base}/_control/reset")
        body = {
            "total_price": total,
            "order_number": f"PTS-2026-{next(counter):06d}",
            "phone_number": phone,
            "callback_url": f"http://127.0.0.1:{server.server_port}/checkout/return?order=tok",
        }
        return requests.post(f"{base}/api/v1/orders/checkout/pk_sandbox_demo", json=body).json()["data"]["checkout_url"]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang in ("ar", "en"):
            for width, height in ((1280, 860), (390, 844)):
                tag = f"{lang}-{width}"
                page = browser.new_page(viewport={"width": width, "height": height})

                def shot(name, page=page, tag=tag):
                    return page.screenshot(path=str(out / f"{tag}-{name}.png"), full_page=True)

                page.goto(checkout(100) + f"?lang={lang}")
                page.get_by_test_id("otp-input").fill(page.get_by_test_id("otp-code").inner_text()[:2])
                shot("1-verify")
                page.get_by_test_id("otp-input").fill(page.get_by_test_id("otp-code").inner_text())
                page.get_by_test_id("verify-button").click()
                page.get_by_test_id("redeem-full").wait_for()
                shot("2-redeem-full")
                page.get_by_test_id("redeem-partial").check()
                page.get_by_test_id("partial-amount").fill("50")
                shot("3-redeem-partial")
                page.get_by_test_id("redeem-full").check()
                page.get_by_test_id("redeem-button").click()
                page.get_by_test_id("confirm-dialog").wait_for()
                shot("4-confirm")
                page.get_by_test_id("confirm-button").click()
                page.get_by_test_id("done-title").wait_for()
                shot("5-done")

                page.goto(checkout(224))
                page.get_by_test_id("otp-input").fill(page.get_by_test_id("otp-code").inner_text())
                page.get_by_test_id("verify-button").click()
                shot("6-redeem-partial-only")
                page.get_by_test_id("partial-amount").fill("150")
                page.get_by_test_id("redeem-button").click()
                page.get_by_test_id("confirm-button").click()
                page.get_by_test_id("card-number").fill("4000 0000 0000 0002")
                page.get_by_test_id("pay-button").click()
                page.get_by_test_id("card-error").wait_for()
                shot("7-pay-declined")
                page.get_by_test_id("card-number").fill("4111 1111 1111 1111")
                page.get_by_test_id("pay-button").click()
                page.get_by_test_id("done-title").wait_for()
                shot("8-done-card")

                page.goto(checkout(60, phone="500000003"))
                shot("9-onboarding")
                url = checkout(60)
                session_id = url.rsplit("/", 1)[-1]
                requests.post(f"{base}/_control/sessions/{session_id}/expire")
                page.goto(url)
                shot("10-expired")
                page.close()
        earn(base, "PTS-2026-900001", "500000001", refund=25)  # approved, part of it reversed
        earn(base, "PTS-2026-900002", "500000009")  # pending activation: a shopper waiting
        requests.post(f"{base}/_control/deliveries/flush")  # a log with attempts (the shop answers 200)
        for lang in ("ar", "en"):
            for width in (1280, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(f"{base}/_control/?lang={lang}")
                page.get_by_test_id("trigger-order").fill(
                    page.eval_on_selector("#recent-orders option", "o => o.value")
                )
                page.get_by_test_id("trigger-event").select_option("approved")
                page.get_by_test_id("trigger-prepare").click()  # fills the body in place (control.js)
                page.wait_for_function("document.querySelector('[data-testid=trigger-body]').value.length > 0")
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                page.screenshot(path=str(out / f"control-{lang}-{width}.png"), full_page=True)
                page.close()
        browser.close()
    server.shutdown()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sandbox-shots"))
