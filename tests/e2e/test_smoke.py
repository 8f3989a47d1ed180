"""The shop's pages open in a real browser without errors, at both sizes and in both languages."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Words

pytestmark = pytest.mark.e2e


def test_catalogue_opens_without_errors(page, language):
    t = Words(language)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.get_by_role("heading", name=t("Saudi coffee, dates and crafts"))).to_be_visible()
    expect(page.locator(".product-card")).not_to_have_count(0)
    page.locator(".product-card img").first.evaluate("img => img.decode()")
    # Nothing wider than the screen: the phone layout must not scroll sideways, in either direction.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_language_switch_opens_the_same_page_in_the_other_language(page, language):
    other = "en" if language == "ar" else "ar"
    page.goto("/products/ajwa-dates")
    page.get_by_test_id("language-switch").click()
    expect(page).to_have_url(re.compile(r"/products/ajwa-dates$"))
    expect(page.locator("html")).to_have_attribute("lang", other)
    expect(page.get_by_role("heading", level=1)).to_have_text(Words(other).product("Ajwa Dates"))
    page.goto("/cart")  # remembered on the next page
    expect(page.locator("html")).to_have_attribute("lang", other)


def test_arabic_pages_use_the_shops_arabic_font_and_english_pages_never_load_it(page, language):
    fonts = []
    page.on("request", lambda request: fonts.append(request.url) if "/static/fonts/" in request.url else None)
    page.goto("/")
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    if language == "ar":
        assert any("Shop Arabic" in family for family in loaded) and fonts
    else:
        assert not fonts
