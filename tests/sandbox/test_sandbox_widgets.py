"""The widgets stand-in: its pages' headers (framable, no inline script), and in Chromium on a
shop page of another origin with the shop's CSP: both widgets in Arabic and English, the iframe
sized by postMessage, the popup opened and closed three ways, destroy(), no console error."""

import re

import pytest

from points_sandbox import create_app

from .conftest import _stop
from .widget_page import serve, shop_app


@pytest.mark.parametrize(
    "path", ["/widget/embed?type=points-card", "/widget/embed?type=installments", "/widget/modal?type=-"]
)
def test_the_widget_pages_may_be_framed_and_carry_no_inline_script(sandbox_client, path):
    response = sandbox_client.get(path + "&lang=en&points=1150&parentOrigin=http://shop.test&id=pw-1")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html) and " on" + "click=" not in html
    assert 'data-parent-origin="http://shop.test"' in html and "1,150" in html


@pytest.mark.parametrize(
    "lang, text",
    [
        ("ar", "ستكسب 1,150 نقطة مكافأة عند إتمام هذا الطلب، على نفس رقم جوالك"),
        ("en", "You will earn 1,150 points as a reward when you complete this order, on the same mobile number"),
    ],
)
def test_the_installments_banner_reads_as_one_sentence(sandbox_client, lang, text):
    """The Arabic comma follows its word, as the English one does (no space before it)."""
    html = sandbox_client.get(f"/widget/embed?type=installments&lang={lang}&points=1150").get_data(as_text=True)
    assert re.search(r'data-testid="banner-text">([^<]*)<', html).group(1) == text


def test_other_sandbox_pages_may_not_be_framed(sandbox_client):
    assert sandbox_client.get("/_control/").headers["X-Frame-Options"] == "DENY"


def test_a_parent_origin_that_is_not_an_origin_is_dropped(sandbox_client):
    html = sandbox_client.get("/widget/embed?parentOrigin=javascript:alert(1)").get_data(as_text=True)
    assert 'data-parent-origin=""' in html


def test_the_loader_is_served_at_the_root(sandbox_client):
    response = sandbox_client.get("/widget-loader.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "PointsWidget" in response.get_data(as_text=True)


# --- In Chromium ----------------------------------------------------------------------------------


@pytest.fixture
def shop(sandbox_config):
    app = create_app(sandbox_config)
    sandbox, sandbox_server = serve(app)
    sandbox = sandbox.replace("127.0.0.1", "localhost")  # the widget's origin is not the shop's
    url, shop_server = serve(shop_app(sandbox))
    yield url
    shop_server.shutdown()
    sandbox_server.shutdown()
    _stop(app)


TEXTS = {
    "ar": ("rtl", "إكسب", "ستكسب 1,150 نقطة", "تسوّق واربح مكافآتك"),
    "en": ("ltr", "Earn 199 points", "You will earn 1,150 points", "Shop and earn your rewards"),
}


@pytest.mark.e2e
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_widgets_on_a_shop_page(shop, browser, lang):
    direction, card_text, banner_text, modal_title = TEXTS[lang]
    page = browser.new_page(viewport={"width": 390, "height": 844})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{shop}/?lang={lang}")
    # The skeletons are replaced once each iframe says how tall it is.
    page.wait_for_function("() => !document.querySelector('[data-points-widget-skeleton]')")
    card, banner = page.frame_locator("#card iframe"), page.frame_locator("#checkout iframe")
    assert page.locator("iframe").count() == 2
    assert card.locator("html").get_attribute("dir") == direction
    assert card_text in card.get_by_test_id("points-card").inner_text().replace("\n", " ")
    assert banner_text in banner.get_by_test_id("banner-text").inner_text()
    for selector in ("#card iframe", "#checkout iframe"):
        frame_height = page.locator(selector).evaluate("f => f.getBoundingClientRect().height")
        content_height = page.frame_locator(selector).locator("html").evaluate("h => h.getBoundingClientRect().height")
        assert frame_height > 40 and abs(frame_height - content_height) <= 1, (selector, frame_height, content_height)
    card_height = page.locator("#card iframe").evaluate("f => f.getBoundingClientRect().height")
    page.set_viewport_size({"width": 1280, "height": 844})  # the text rewraps: the iframe follows
    page.wait_for_function(
        "(before) => document.querySelector('#card iframe').getBoundingClientRect().height < before", arg=card_height
    )

    overlay = page.locator("[data-points-widget-overlay]")
    modal = page.frame_locator("[data-points-widget-overlay] iframe")
    # Opened from the card, closed by its button, by Escape and by the backdrop.
    for close in ("button", "escape", "backdrop"):
        card.get_by_test_id("learn-more").click()
        assert modal_title in modal.get_by_test_id("modal-title").inner_text().replace("\n", " ")
        assert modal.locator("html").get_attribute("dir") == direction
        page.wait_for_function(
            "() => document.querySelector('[data-points-widget-overlay] iframe').style.height !== '480px'"
        )
        if close == "button":
            modal.get_by_test_id("modal-continue").wait_for()
            # Clicked after the call returns: the click removes the very frame it is in.
            modal.locator("body").evaluate(
                "() => { setTimeout(() => document.querySelector('[data-testid=modal-continue]').click(), 0) }"
            )
        elif close == "escape":
            # Escape pressed inside the popup's iframe. Dispatched after the call returns: the key
            # closes the popup, and a press still waiting on the frame it removed could hang.
            modal.locator("body").evaluate(
                "() => { setTimeout(() => document.dispatchEvent("
                "new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})), 0) }"
            )
        else:
            page.locator("[data-points-widget-overlay]").click(position={"x": 5, "y": 5}, timeout=15_000)
        overlay.wait_for(state="detached")

    # destroy() removes the widget; the banner's ✕ dismisses it.
    page.evaluate("() => window.checkoutWidget.destroy()")
    assert page.locator("#checkout iframe").count() == 0
    banner_again = page.evaluate(
        "() => { window.again = PointsWidget.init({type: 'installments', container: '#checkout'}); return 1; }"
    )
    assert banner_again == 1
    page.frame_locator("#checkout iframe").get_by_test_id("dismiss").click()
    page.locator("#checkout iframe").wait_for(state="detached")
    page.evaluate("() => { PointsWidget.init({type: 'points-card', container: '#checkout', points: 5}); }")
    assert page.evaluate("() => { PointsWidget.destroy(); return document.querySelectorAll('iframe').length; }") == 0
    assert problems == []


@pytest.mark.e2e
def test_a_message_from_another_origin_is_ignored(shop, browser):
    page = browser.new_page()
    page.goto(f"{shop}/?lang=en")
    page.wait_for_function("() => !document.querySelector('[data-points-widget-skeleton]')")
    before = page.locator("#card iframe").evaluate("f => f.style.height")
    # The shop page itself (not the widget's origin) posts a resize and an open-modal.
    page.evaluate(
        "() => { const id = new URL(document.querySelector('#card iframe').src).searchParams.get('id');"
        " window.postMessage({source: 'points-widget', id, type: 'resize', height: 999}, '*');"
        " window.postMessage({source: 'points-widget', id, type: 'open-modal'}, '*'); }"
    )
    page.wait_for_timeout(300)
    assert page.locator("#card iframe").evaluate("f => f.style.height") == before != "999px"
    assert page.locator("[data-points-widget-overlay]").count() == 0
