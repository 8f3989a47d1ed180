"""A real Chromium (Debian's, never a downloaded one) driven by Playwright against ``live_shop``.

One Playwright and one browser for the whole session; a fresh context (cookies, cart) per test.
Every page is watched for console errors, uncaught exceptions and failed same-origin requests,
and a test that leaves any behind fails. A failed test saves a screenshot and the HTML of each
of its pages under its ``tmp_path`` and names them in the report.

Chromium is ``/usr/bin/chromium`` or ``$CHROMIUM_PATH``. Without it the journeys skip with one line;
in CI (``CI=true``) they fail instead.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

# The shopping part of every journey runs on both; the phone is an iPhone-sized touch screen.
DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}

# ... and in both languages: the browser asks for one (Accept-Language), as a shopper's would.
LANGUAGES = {"en": "en-US", "ar": "ar-SA"}

ACTION_TIMEOUT_MS = 10_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)  # Playwright's 5 s is tight on a busy 2-core runner


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.when == "call" and report.failed:
        _save_failure_artifacts(item, report)
    return report


def _save_failure_artifacts(item, report):
    """While the pages are still open: a screenshot and the HTML of each, named in the report."""
    watcher = item.funcargs.get("browser_watch")
    tmp_path = item.funcargs.get("tmp_path")
    if watcher is None or tmp_path is None:
        return
    name = re.sub(r"[^\w.-]+", "_", item.name).strip("_")
    saved = []
    for number, page in enumerate(p for p in watcher.pages if not p.is_closed()):
        stem = tmp_path / (f"failure-{name}" + (f"-{number + 1}" if number else ""))
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
            saved.append(f"{page.url}\n  {stem}.png\n  {stem}.html")
        except Exception as error:  # a crashed page must not hide the test's own failure
            saved.append(f"{page.url}: could not save ({error})")
    if saved:
        text = "\n".join(saved)
        report.sections.append(("e2e failure artifacts", text))
        print(f"\n[e2e] {item.nodeid} failed; saved:\n{text}")


@dataclass
class BrowserWatch:
    """Everything that went wrong in the pages of one test, and the pages it opened."""

    origin: str
    pages: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def watch(self, context):
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.on("page", self._watch_page)
        return context

    def _watch_page(self, page):
        self.pages.append(page)
        page.on("console", lambda msg: self._check_console(page, msg))
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception on {page.url}: {error}"))
        page.on("response", self._check_response)
        page.on("requestfailed", self._check_failed_request)

    def _check_console(self, page, message):
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        self.problems.append(f"console error on {page.url}: {message.text}" + (f" ({source})" if source else ""))

    def _same_origin(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.origin).netloc

    def _check_response(self, response):
        if response.status >= 400 and self._same_origin(response.url):
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    def _check_failed_request(self, request):
        # A navigation that replaces a page aborts its pending loads: that is not a fault.
        if self._same_origin(request.url) and request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")


@pytest.fixture
def browser_watch(live_shop, tmp_path):
    watch = BrowserWatch(origin=live_shop.url)
    yield watch
    if watch.problems:
        pytest.fail("the pages reported problems:\n  " + "\n  ".join(watch.problems), pytrace=False)


@pytest.fixture(params=list(DEVICES))
def device(request):
    """The viewport of the shopping part: `desktop` (1280 px) or `phone` (390 px, touch)."""
    return request.param


@pytest.fixture(params=list(LANGUAGES))
def language(request):
    """The shopper's language: `en`, or `ar` (the shop right to left)."""
    return request.param


@pytest.fixture
def context(browser, browser_watch, device, language, live_shop):
    context = browser_watch.watch(
        browser.new_context(base_url=live_shop.url, locale=LANGUAGES[language], **DEVICES[device])
    )
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def new_desktop_page(browser, browser_watch, live_shop):
    """Pages for a second person (staff in the admin) at desktop size, in their own context."""
    opened = []

    def open_page():
        ctx = browser_watch.watch(browser.new_context(base_url=live_shop.url, locale="en-US", **DEVICES["desktop"]))
        opened.append(ctx)
        return ctx.new_page()

    yield open_page
    for ctx in opened:
        ctx.close()


@pytest.fixture
def sandbox(live_shop):
    """The sandbox as seeded before each journey (shopper balances, no chaos), and no chaos after."""
    _settle_and_reset(live_shop)
    yield live_shop
    live_shop.chaos(
        webhook_delay_seconds=0,
        webhook_duplicate=False,
        webhook_reverse=False,
        webhook_drop_next=0,
        checkout_fail_next=0,
    )


def _settle_and_reset(live_shop):
    # Let deliveries from earlier tests finish first, so none is cut off half-way.
    requests.get(f"{live_shop.sandbox_url}/_control/deliveries", params={"wait": 1, "timeout": 10}, timeout=15)
    response = requests.post(f"{live_shop.sandbox_url}/_control/reset", json={}, timeout=10)
    assert response.status_code == 200, response.text[:300]


# --- A shopper's hands ------------------------------------------------------------------------


class Words:
    """The shop's words as a shopper in ``lang`` reads them: the shop's own catalogue (messages.po)
    and product names, so a journey names what it clicks in the language it runs in."""

    def __init__(self, lang):
        from babel.support import NullTranslations, Translations

        from storefront.seed import CATALOGUE, CATALOGUE_AR

        folder = Path(__file__).resolve().parents[2] / "storefront" / "translations"
        self.lang = lang
        self.translations = Translations.load(str(folder), [lang]) if lang != "en" else NullTranslations()
        self.products = {name: (CATALOGUE_AR[slug][0] if lang == "ar" else name) for slug, name, *_ in CATALOGUE}

    def __call__(self, msgid: str) -> str:
        return self.translations.ugettext(msgid)

    def product(self, english_name: str) -> str:
        return self.products[english_name]


class Journey:
    """What a shopper does with the real pages: the shop's, then the sandbox's hosted checkout.

    Only the shop's own markup, its words in the journey's language and the sandbox's documented
    ``data-testid``s are relied on; the sandbox pages are in Arabic by default, so nothing here
    reads their text.
    """

    def __init__(self, page, device, live_shop, language="en"):
        self.page, self.device, self.live_shop = page, device, live_shop
        self.t = Words(language)

    def press(self, locator):
        """A tap on the phone, a click on the desktop."""
        locator.tap() if self.device == "phone" else locator.click()

    def by_testid(self, testid):
        return self.page.get_by_test_id(testid)

    # The shop.
    def add_to_cart(self, product_name: str):
        from playwright.sync_api import expect

        page, t = self.page, self.t
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if t.lang == "ar" else "ltr")
        name = t.product(product_name)
        self.press(page.get_by_role("link", name=name, exact=True))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        self.press(page.get_by_role("button", name=t("Add to cart")))
        expect(page.get_by_role("heading", name=t("Your cart"))).to_be_visible()
        expect(page.locator(".cart-line-name")).to_contain_text([name])

    def check_out(self, phone: str, name="Sara Al-Qahtani", city="Riyadh", address_line="King Fahd Rd 1"):
        """From the cart, through the checkout form, to the sandbox's hosted checkout."""
        from playwright.sync_api import expect

        page = self.page
        self.press(page.get_by_role("link", name=self.t("Proceed to checkout")))
        expect(page.get_by_role("heading", name=self.t("Checkout"), exact=True)).to_be_visible()
        self.fill_checkout_form(phone, name, city, address_line)
        self.press(self.by_testid("pay-with-points"))
        page.wait_for_url(re.compile(r"/points-sandbox/checkout/[^/?]+"))

    def fill_checkout_form(self, phone, name, city, address_line):
        page = self.page
        page.locator("[name=phone]").fill(phone)
        page.locator("[name=name]").fill(name)
        page.locator("[name=city]").fill(city)
        page.locator("[name=address_line]").fill(address_line)

    # The sandbox's hosted checkout.
    def verify_code(self):
        from playwright.sync_api import expect

        expect(self.by_testid("verify-title")).to_be_visible()
        code = self.by_testid("otp-code").inner_text().strip()
        self.by_testid("otp-input").fill(code)
        self.press(self.by_testid("verify-button"))
        expect(self.by_testid("redeem-title")).to_be_visible()

    def confirm_redemption(self, amount_text: str):
        from playwright.sync_api import expect

        expect(self.by_testid("confirm-dialog")).to_be_visible()
        expect(self.by_testid("confirm-amount")).to_contain_text(amount_text)
        self.press(self.by_testid("confirm-button"))

    def pay_by_card(self, number: str):
        from playwright.sync_api import expect

        expect(self.by_testid("pay-title")).to_be_visible()
        self.by_testid("card-number").fill(number)
        self.press(self.by_testid("pay-button"))

    def back_in_the_shop(self, *, timeout_ms=15_000):
        """The done page returns to the shop by itself; the shop confirms once the webhook came."""
        from playwright.sync_api import expect

        expect(self.by_testid("done-title")).to_be_visible()
        self.page.wait_for_url(re.compile(r"/checkout/callback\?"), timeout=timeout_ms)
        expect(self.by_testid("payment-confirmed")).to_be_visible(timeout=timeout_ms)
        return self.by_testid("order-number").inner_text().strip()


@pytest.fixture
def journey(page, device, language, live_shop, sandbox):
    return Journey(page, device, live_shop, language)
