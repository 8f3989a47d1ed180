"""The shop's pages open in a real browser without errors, at both sizes."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_catalogue_opens_without_errors(page):
    page.goto("/")
    expect(page.get_by_role("heading", name="Saudi coffee, dates and crafts")).to_be_visible()
    expect(page.locator(".product-card")).not_to_have_count(0)
    page.locator(".product-card img").first.evaluate("img => img.decode()")
    # Nothing wider than the screen: the phone layout must not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
