"""The shopper-facing shop: catalogue, product pages, the layout every page shares."""

import hashlib
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.record_queries import get_recorded_queries
from page_text import text

from storefront import create_app
from storefront.extensions import db
from storefront.formatting import sar_text
from storefront.models import CartLine, Product
from storefront.seed import CATALOGUE

SLUGS = [slug for slug, *_ in CATALOGUE]
CATEGORIES = sorted({category for _, _, category, *_ in CATALOGUE})


def page_queries(client, url) -> int:
    """How many SQL queries one GET makes (the request's context is kept, where they were recorded)."""
    with client:
        response = client.get(url)
        assert response.status_code == 200, url
        return len(get_recorded_queries())


def add_products(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            db.session.add(
                Product(
                    slug=f"extra-{n}",
                    name=f"Extra {n}",
                    category="Coffee",
                    price=Decimal("10.00"),
                    image="products/dallah-brass.svg",
                    position=100 + n,
                )
            )
        db.session.commit()


def cart_lines(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(line.product.slug, line.quantity) for line in db.session.scalars(sa.select(CartLine))]


# --- Catalogue -----------------------------------------------------------------------------------


def test_catalogue_lists_every_seeded_product_with_image_name_price_and_link(client):
    html = client.get("/").get_data(as_text=True)
    for slug, name, _category, price, _description in CATALOGUE:
        assert f'href="/products/{slug}"' in html
        assert f'src="/static/products/{slug}.svg?v=' in html
        assert name.replace("&", "&amp;") in html
        assert f"{price} SAR" in text(html)
    assert "68.00 SAR" in text(html)


def test_every_product_has_its_own_svg_illustration(client):
    digests = set()
    for slug in SLUGS:
        response = client.get(f"/static/products/{slug}.svg")
        assert response.status_code == 200, slug
        assert response.get_data(as_text=True).lstrip().startswith("<svg"), slug
        digests.add(hashlib.sha256(response.data).hexdigest())
    assert len(digests) == len(SLUGS)


@pytest.mark.parametrize("category", CATEGORIES)
def test_category_filter_shows_only_that_category(client, category):
    html = client.get("/", query_string={"category": category}).get_data(as_text=True)
    for slug, _name, product_category, *_ in CATALOGUE:
        assert (f'href="/products/{slug}"' in html) == (product_category == category), slug
    assert 'aria-current="page"' in html


def test_an_unknown_category_is_a_404_page(client):
    response = client.get("/?category=Spaceships")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


# --- Product page --------------------------------------------------------------------------------


def test_product_page_shows_image_description_price_quantity_and_what_points_can_do(client):
    html = client.get("/products/saudi-khawlani-coffee").get_data(as_text=True)
    assert "<h1>Khawlani Coffee Beans</h1>" in html
    assert 'src="/static/products/saudi-khawlani-coffee.svg?v=' in html
    assert "Jazan highlands" in html
    assert "68.00 SAR incl. VAT" in text(html)
    assert re.search(r'<input[^>]*name="quantity"[^>]*value="1"', html)
    assert "Add to cart" in html
    assert "Pay with your Points balance at checkout" in html


def test_an_unknown_product_is_a_404_page(client):
    response = client.get("/products/no-such-thing")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_adding_to_cart_redirects_to_the_cart_with_a_message(app, client):
    response = client.post("/products/ajwa-dates", data={"quantity": "3"}, follow_redirects=True)
    assert response.request.path == "/cart"
    assert "Added 3 × Ajwa Dates to your cart." in response.get_data(as_text=True)
    assert cart_lines(app) == [("ajwa-dates", 3)]


@pytest.mark.parametrize("quantity", ["0", "21", "-2", "two", "", "1.5"])
def test_a_bad_quantity_shows_the_error_next_to_the_field_and_adds_nothing(app, client, quantity):
    response = client.post("/products/ajwa-dates", data={"quantity": quantity})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(
        r'name="quantity".*?<p class="field-error" id="quantity-error">Choose a quantity from 1 to 20.</p>', html, re.S
    )
    assert cart_lines(app) == []


# --- Layout and formatting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, shown",
    [
        (Decimal("1234.5"), "1,234.50 SAR"),
        (Decimal("68"), "68.00 SAR"),
        (0, "0.00 SAR"),
        ("42.5", "42.50 SAR"),
        (Decimal("0.005"), "0.01 SAR"),
        (Decimal("1000000"), "1,000,000.00 SAR"),
        (None, ""),
    ],
)
def test_sar_shows_two_decimals_and_thousands_separators(app, amount, shown):
    assert sar_text(amount) == shown


def test_sar_is_a_template_filter_on_every_page(app):
    shown = app.jinja_env.from_string("{{ amount|sar }}").render(amount=Decimal("1234.5"))
    assert '<span class="sar-amount">1,234.50</span>' in shown and '<svg class="sar-sign"' in shown


def test_header_shows_the_number_of_items_in_the_cart(client):
    assert re.search(r"data-cart-count>0<", client.get("/").get_data(as_text=True))
    client.post("/products/rose-water", data={"quantity": 2})
    client.post("/products/finjan-set", data={"quantity": 3})
    assert re.search(r"data-cart-count>5<", client.get("/").get_data(as_text=True))


def test_header_cart_count_costs_at_most_one_query(client):
    without_cart = page_queries(client, "/")
    client.post("/products/rose-water", data={"quantity": 2})
    assert page_queries(client, "/") - without_cart <= 1


def test_nav_lists_every_category(client):
    html = client.get("/cart").get_data(as_text=True)
    for category in CATEGORIES:
        assert f'href="/?category={category.replace(" ", "+").replace("&", "%26")}"' in html


@pytest.mark.parametrize("demo_mode", [True, False])
def test_footer_links_under_the_hood_and_to_the_sandbox_only_in_demo_mode(app_config, demo_mode):
    shop = create_app({**app_config, "POINTS_DEMO_MODE": demo_mode})
    html = shop.test_client().get("/").get_data(as_text=True)
    assert 'href="/admin/">Under the hood</a>' in html
    assert ('href="/points-sandbox/_control/"' in html) is demo_mode


@pytest.mark.parametrize("path", ["/", "/?category=Coffee", "/products/dallah-brass", "/cart", "/products/nope"])
def test_pages_load_only_local_assets_that_exist(client, path):
    client.post("/products/dallah-brass", data={"quantity": 1})
    html = client.get(path).get_data(as_text=True)
    assets = re.findall(r'<(?:img|script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert assets, path
    with client.application.app_context():
        from storefront.points.widgets import loader_url

        loader = loader_url()
    for url in assets:
        if url == loader and path.startswith("/products/"):
            continue  # Points' own widget loader, from the Points origin (decisions: "Points widgets")
        assert url.startswith("/static/"), url  # no CDN, no external font
        assert client.get(url).status_code == 200, url


def test_favicon_ico_is_served_so_no_page_logs_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_points_widgets_are_asked_for_in_the_pages_language(client, lang):
    """The loader's data-lang (its default is Arabic): an English page must say en."""
    client.set_cookie("lang", lang)
    client.post("/products/sukkari-dates", data={"quantity": 1})
    for path in ("/products/sukkari-dates", "/checkout"):
        html = client.get(path).get_data(as_text=True)
        assert re.findall(r'<script src="[^"]*widget-loader\.js"[^>]*data-lang="(\w*)"', html) == [lang], path
