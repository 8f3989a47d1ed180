"""The cart: lines, quantities and totals, always priced from the database."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.record_queries import get_recorded_queries
from page_text import text

from storefront import carts as service
from storefront import create_app
from storefront.extensions import db
from storefront.models import CartLine, Product
from storefront.seed import CATALOGUE

PRICES = {slug: Decimal(price) for slug, _n, _c, price, _d in CATALOGUE}


def product_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Product.id).where(Product.slug == slug))


def cart_lines(app) -> list[tuple[str, int]]:
    with app.app_context():  # a fresh session: what the database holds now
        return [
            (line.product.slug, line.quantity) for line in db.session.scalars(sa.select(CartLine).order_by(CartLine.id))
        ]


def summary(html: str) -> dict:
    """The order summary's figures, as shown."""
    return {
        name: text(re.search(rf"<dd data-{name}>(.*?)</dd>", html).group(1))
        for name in ("subtotal", "shipping", "total")
    }


def test_an_empty_cart_says_so_and_links_back_to_the_shop(client):
    html = client.get("/cart").get_data(as_text=True)
    assert "Your cart is empty." in html
    assert re.search(r'<a class="button button-primary" href="/">Continue shopping</a>', html)
    assert "Proceed to checkout" not in html


def test_cart_shows_lines_and_totals_in_sar_with_checkout_link(client):
    client.post("/products/dallah-brass", data={"quantity": 2})
    client.post("/products/rose-water", data={"quantity": 1})
    html = client.get("/cart").get_data(as_text=True)
    assert "Brass Dallah" in html and "185.00 SAR each" in text(html) and "370.00 SAR" in text(html)
    assert "Taif Rose Water" in html and "36.00 SAR" in text(html)
    assert summary(html) == {"subtotal": "406.00 SAR", "shipping": "Free", "total": "406.00 SAR"}
    assert "Free shipping from 300.00 SAR" in text(html)
    assert 'href="/checkout">Proceed to checkout</a>' in html


@pytest.mark.parametrize(
    "quantity, subtotal, shipping, total, hint",
    [
        (1, "36.00 SAR", "25.00 SAR", "61.00 SAR", "Add 264.00 SAR more to get it."),
        (8, "288.00 SAR", "25.00 SAR", "313.00 SAR", "Add 12.00 SAR more to get it."),
        (9, "324.00 SAR", "Free", "324.00 SAR", "Your order ships free."),
    ],
)
def test_shipping_is_flat_below_the_threshold_and_free_from_it(client, quantity, subtotal, shipping, total, hint):
    client.post("/products/rose-water", data={"quantity": quantity})
    html = client.get("/cart").get_data(as_text=True)
    assert summary(html) == {"subtotal": subtotal, "shipping": shipping, "total": total}
    assert hint in text(html)


@pytest.mark.parametrize(
    "subtotal, shipping",
    [
        ("0.00", "0.00"),
        ("0.01", "25.00"),
        ("299.99", "25.00"),
        ("300.00", "0.00"),
        ("1500.00", "0.00"),
    ],
)
def test_shipping_for_uses_the_configured_rate_and_threshold(app_context, subtotal, shipping):
    assert service.shipping_for(Decimal(subtotal)) == Decimal(shipping)


def test_posted_price_is_ignored_and_total_comes_from_the_database(app, client):
    forged = {"price": "1", "unit_price": "1", "subtotal": "1", "shipping": "0", "total": "1", "product_id": "1"}
    client.post("/products/dallah-brass", data={"quantity": 1, **forged})
    client.post(f"/cart/lines/{product_id(app, 'dallah-brass')}", data={"quantity": 2, **forged})

    html = client.get("/cart").get_data(as_text=True)
    assert summary(html) == {"subtotal": "370.00 SAR", "shipping": "Free", "total": "370.00 SAR"}
    assert cart_lines(app) == [("dallah-brass", 2)]
    with app.app_context():
        cart = db.session.scalar(sa.select(CartLine)).cart
        assert service.totals(cart).total == PRICES["dallah-brass"] * 2


def test_changing_a_quantity_updates_the_line_and_the_totals(app, client):
    client.post("/products/maamoul-assortment", data={"quantity": 1})
    response = client.post(
        f"/cart/lines/{product_id(app, 'maamoul-assortment')}", data={"quantity": 4}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Maamoul Assortment: quantity set to 4." in html
    assert summary(html) == {"subtotal": "232.00 SAR", "shipping": "25.00 SAR", "total": "257.00 SAR"}
    assert cart_lines(app) == [("maamoul-assortment", 4)]


@pytest.mark.parametrize("quantity", ["0", "21", "-1", "many", ""])
def test_a_bad_quantity_update_is_refused_with_a_message_and_changes_nothing(app, client, quantity):
    client.post("/products/maamoul-assortment", data={"quantity": 3})
    response = client.post(
        f"/cart/lines/{product_id(app, 'maamoul-assortment')}", data={"quantity": quantity}, follow_redirects=True
    )
    assert "Choose a quantity from 1 to 20." in response.get_data(as_text=True)
    assert cart_lines(app) == [("maamoul-assortment", 3)]


def test_removing_a_line_keeps_the_others(app, client):
    client.post("/products/ajwa-dates", data={"quantity": 1})
    client.post("/products/shemagh-red", data={"quantity": 2})
    response = client.post(f"/cart/lines/{product_id(app, 'ajwa-dates')}/remove", follow_redirects=True)
    assert "Ajwa Dates was removed from your cart." in response.get_data(as_text=True)
    assert cart_lines(app) == [("shemagh-red", 2)]


def test_removing_the_last_line_leaves_an_empty_cart(app, client):
    client.post("/products/ajwa-dates", data={"quantity": 1})
    response = client.post(f"/cart/lines/{product_id(app, 'ajwa-dates')}/remove", follow_redirects=True)
    assert "Your cart is empty." in response.get_data(as_text=True)


@pytest.mark.parametrize("path, data", [("/cart/lines/{id}", {"quantity": 5}), ("/cart/lines/{id}/remove", {})])
def test_changing_a_product_that_is_not_in_the_cart_changes_nothing(app, client, path, data):
    client.post("/products/ajwa-dates", data={"quantity": 1})
    response = client.post(path.format(id=product_id(app, "thobe-white")), data=data)
    assert response.status_code == 302
    assert cart_lines(app) == [("ajwa-dates", 1)]


def test_adding_the_same_product_again_adds_to_its_line_up_to_twenty(app, client):
    client.post("/products/finjan-set", data={"quantity": 15})
    client.post("/products/finjan-set", data={"quantity": 3})
    assert cart_lines(app) == [("finjan-set", 18)]
    client.post("/products/finjan-set", data={"quantity": 10})
    assert cart_lines(app) == [("finjan-set", 20)]


def test_the_cart_survives_a_browser_restart(app, client):
    response = client.post("/products/sukkari-dates", data={"quantity": 2})
    set_cookie = response.headers["Set-Cookie"]
    assert "Expires=" in set_cookie  # a permanent cookie, not a session-only one
    cookie = client.get_cookie("session")

    restarted = app.test_client()  # a new browser holding only the stored cookie
    restarted.set_cookie("session", cookie.value)
    html = restarted.get("/cart").get_data(as_text=True)
    assert "Sukkari Dates Box" in html and summary(html)["subtotal"] == "158.00 SAR"

    assert "Your cart is empty." in app.test_client().get("/cart").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/cart", "/products/dallah-brass"])
def test_pages_make_the_same_number_of_queries_with_3_or_12_cart_lines(app, client, url):
    def queries_with_lines(count):
        for slug in [slug for slug, *_ in CATALOGUE][:count]:
            client.post(f"/products/{slug}", data={"quantity": 1})
        assert len(cart_lines(app)) == count
        client.get(url)  # the shop keeps what it reads of the catalogue: count the page served warm
        with client:  # keeps the request's context, where its queries were recorded
            assert client.get(url).status_code == 200
            return len(get_recorded_queries())

    with_3 = queries_with_lines(3)
    with_12 = queries_with_lines(12)
    assert with_3 == with_12
    assert with_12 <= 5


@pytest.fixture
def csrf_client(app_config):
    """A shop with CSRF protection on, as in production, and a cart holding one line."""
    shop = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = shop.test_client()
    page = client.get("/products/dallah-brass").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/products/dallah-brass", data={"quantity": 2, "csrf_token": token}).status_code == 302
    cart_page = client.get("/cart").get_data(as_text=True)
    assert cart_page.count('name="csrf_token"') == 2  # the update and remove forms carry it
    return shop, client


@pytest.mark.parametrize(
    "path, data",
    [
        ("/products/dallah-brass", {"quantity": "5"}),
        ("/products/rose-water", {"quantity": "1"}),
        ("/cart/lines/{id}", {"quantity": "7"}),
        ("/cart/lines/{id}/remove", {}),
    ],
)
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(csrf_client, path, data):
    shop, client = csrf_client
    response = client.post(path.format(id=product_id(shop, "dallah-brass")), data=data)
    assert response.status_code == 400
    assert cart_lines(shop) == [("dallah-brass", 2)]
