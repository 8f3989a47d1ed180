"""What Lighthouse checks on the shop's pages, checked here on every run (scripts/lighthouse.sh runs
Lighthouse itself): each page describes itself to search engines in its language, the cart link's
accessible name starts with what it shows, and small text meets the 4.5:1 contrast minimum."""

import html as htmllib
import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[1] / "static" / "css" / "shop.css").read_text()
DESCRIPTION = re.compile(r'<meta name="description" content="([^"]+)">')


def page(client, path, lang) -> str:
    client.set_cookie("lang", lang)
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return htmllib.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/", "/?category=Coffee", "/products/saudi-khawlani-coffee", "/cart"])
def test_every_shop_page_has_a_meta_description_in_its_language(client, path):
    english, arabic = (DESCRIPTION.search(page(client, path, lang)) for lang in ("en", "ar"))
    assert english and arabic, path
    assert re.search(r"[A-Za-z]{4}", english.group(1))
    assert re.search(r"[\u0600-\u06FF]{3}", arabic.group(1))


def test_a_product_page_is_described_by_its_product(client):
    described = DESCRIPTION.search(page(client, "/products/saudi-khawlani-coffee", "en")).group(1)
    assert "Points balance" not in described and len(described) <= 156


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_cart_links_accessible_name_begins_with_what_it_shows(client, lang):
    """No aria-label to differ from the visible "Cart 0": the name is the text, a word for screen readers after it."""
    shown = page(client, "/", lang)
    link = re.search(r'<a class="cart-link"([^>]*)>(.*?)</a>', shown, re.S)
    assert "aria-label" not in link.group(1)
    visible = re.sub(r'<span class="visually-hidden">.*?</span>', "", link.group(2), flags=re.S)
    text = lambda markup: " ".join(re.sub(r"<[^>]+>", " ", markup).split())  # noqa: E731
    assert text(link.group(2)).startswith(text(visible)) and text(link.group(2)) != text(visible)


def luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def variable(name: str) -> str:
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS).group(1)


def test_the_small_gold_text_meets_the_contrast_minimum_on_every_background_it_sits_on():
    rule = re.search(r"\.eyebrow, \.product-category \{([^}]*)\}", CSS).group(1)
    color = variable(re.search(r"color: var\(--([\w-]+)\)", rule).group(1))
    for background in ("sand", "sand-deep", "cream"):
        assert contrast(color, variable(background)) >= 4.5, background
