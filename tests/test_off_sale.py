"""A product taken off sale (``flask products off-sale SLUG``) behaves as a deleted one does,
except that its page stays: old links say it is no longer available instead of a 404.

Not listed, not counted, cannot be added; a cart line to it is shown as no longer available with
Remove and left out of every total; Pay and "Try again" leave it out and say so. The page cache
follows at once: the write to ``product`` moves the catalogue version.
"""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.record_queries import get_recorded_queries
from page_text import text

from storefront.extensions import db
from storefront.models import CartLine, Product

CUSTOMER = {"phone": "0551234567", "name": "Sara Al-Qahtani", "city": "Riyadh", "address_line": "King Fahd Rd 1"}
POINTS_CHECKOUT = "http://points.invalid/api/v1/orders/checkout/pk_sandbox_demo"
POINTS_ANSWER = {
    "status": True,
    "message": "",
    "appended_data": {},
    "data": {"checkout_url": "https://points.test/c/1"},
}


def off_sale(runner, slug: str = "rose-water") -> None:
    """As an operator would, through the command the README documents."""
    result = runner.invoke(args=["products", "off-sale", slug])
    assert result.exit_code == 0, result.output


def on_sale(runner, slug: str = "rose-water") -> None:
    result = runner.invoke(args=["products", "on-sale", slug])
    assert result.exit_code == 0, result.output


def page(client, url: str, language: str = "en") -> str:
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def listed(html: str) -> list[str]:
    return re.findall(r'<h3 class="product-name"><a href="/products/([^"]+)"', html)


@pytest.fixture
def cart_with_one_off_sale(client, runner):
    """Dates (79.00 × 2) and rose water in the cart, every page kept; then the rose water goes off sale."""
    assert client.post("/products/sukkari-dates", data={"quantity": 2}).status_code == 302
    assert client.post("/products/rose-water", data={"quantity": 1}).status_code == 302
    for url in ("/cart", "/checkout", "/", "/products/rose-water"):
        client.get(url)
    off_sale(runner)
    return client


def test_an_off_sale_product_is_not_listed_nor_counted(client, runner):
    assert "rose-water" in listed(page(client, "/?category=Home+%26+Fragrance"))
    off_sale(runner)
    assert "rose-water" not in listed(page(client, "/"))
    assert "rose-water" not in listed(page(client, "/?category=Home+%26+Fragrance"))


def test_a_category_whose_every_product_is_off_sale_leaves_the_nav_and_its_page_is_gone(app, client, runner):
    with app.app_context():
        slugs = db.session.scalars(sa.select(Product.slug).where(Product.category == "Apparel")).all()
    assert slugs and 'href="/?category=Apparel"' in page(client, "/")
    for slug in slugs:
        off_sale(runner, slug)
    assert 'href="/?category=Apparel"' not in page(client, "/")
    assert client.get("/?category=Apparel").status_code == 404


@pytest.mark.parametrize(
    "language, notice", [("en", "We no longer sell this product"), ("ar", "لم نعد نبيع هذا المنتج")]
)
def test_its_page_stays_says_it_is_no_longer_available_and_has_no_add_to_cart(client, runner, language, notice):
    before = page(client, "/products/rose-water", language)
    assert 'class="add-to-cart' in before
    off_sale(runner)
    html = page(client, "/products/rose-water", language)
    assert 'data-testid="off-sale"' in html and notice in text(html)
    assert 'class="add-to-cart' not in html and 'data-testid="buy-now"' not in html
    name = "ماء ورد طائفي" if language == "ar" else "Taif Rose Water"
    assert name in text(html)  # still says what it was


def test_it_is_not_among_the_related_products_of_its_category(client, runner):
    off_sale(runner)
    with client.application.app_context():
        other = db.session.scalar(
            sa.select(Product.slug).where(Product.category == "Home & Fragrance", Product.slug != "rose-water")
        )
    assert "/products/rose-water" not in page(client, f"/products/{other}")


@pytest.mark.parametrize(
    "language, message",
    [
        ("en", "Taif Rose Water is no longer available, so it cannot be added to your cart."),
        ("ar", "ماء ورد طائفي لم يعد متوفرًا، فلا يمكن إضافته إلى سلتك."),
    ],
)
def test_adding_it_from_an_old_tab_says_so_and_adds_nothing(app, client, runner, language, message):
    client.get("/products/rose-water")
    off_sale(runner)
    headers = {"Accept-Language": language}
    response = client.post("/products/rose-water", data={"quantity": 1}, headers=headers)
    assert response.status_code == 303 and response.headers["Location"] == "/products/rose-water"
    assert message in text(page(client, "/products/rose-water", language))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CartLine.id))) == 0


@pytest.mark.parametrize(
    "language, gone_word, remove_word", [("en", "No longer available", "Remove"), ("ar", "لم يعد متوفرًا", "إزالة")]
)
def test_a_cart_line_to_it_is_shown_as_no_longer_available_with_remove_and_out_of_the_totals(
    cart_with_one_off_sale, language, gone_word, remove_word
):
    html = page(cart_with_one_off_sale, "/cart", language)
    [gone] = re.findall(r'<li class="cart-line cart-line-gone".*?</li>', html, re.S)
    assert gone_word in text(gone) and remove_word in text(gone)
    assert ("ماء ورد" if language == "ar" else "Taif Rose Water") in text(gone)
    assert re.search(r'<form[^>]+action="/cart/gone/\d+/remove"', gone) and 'name="csrf_token"' in gone
    assert "158.00" in re.search(r"data-subtotal>(.*?)</dd>", html, re.S).group(1)
    assert re.search(r"data-cart-count>(\d+)<", html).group(1) == "2"  # the header counts the dates only


def test_its_cart_line_keeps_its_picture_faded_and_links_to_its_page_that_says_why(cart_with_one_off_sale):
    """Off sale, the product is still there: its line shows it (a deleted one's has an empty frame)."""
    [gone] = re.findall(r'<li class="cart-line cart-line-gone".*?</li>', page(cart_with_one_off_sale, "/cart"), re.S)
    assert re.search(r'<img src="/static/[^"]*rose[^"]*"', gone)
    assert '<a href="/products/rose-water">Taif Rose Water</a>' in gone


def test_two_gone_products_at_checkout_are_listed_in_each_languages_words(client, runner):
    for slug in ("sukkari-dates", "rose-water", "oud-incense"):
        assert client.post(f"/products/{slug}", data={"quantity": 1}).status_code == 302
    off_sale(runner)
    off_sale(runner, "oud-incense")
    english, arabic = (text(page(client, "/checkout", language)) for language in ("en", "ar"))
    assert "Taif Rose Water, Cambodian Oud Chips are no longer available: they are left out" in english
    assert "ماء ورد طائفي، عود كمبودي لم يعودا متوفرين: استبعدناهما" in arabic


def test_remove_takes_the_off_sale_line_out(app, cart_with_one_off_sale):
    action = re.search(r'action="(/cart/gone/\d+/remove)"', page(cart_with_one_off_sale, "/cart")).group(1)
    response = cart_with_one_off_sale.post(action, follow_redirects=True)
    shown = text(response.get_data(as_text=True))
    assert "Taif Rose Water was removed from your cart." in shown and "No longer available" not in shown
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CartLine.id))) == 1


def test_back_on_sale_the_line_is_priced_again(cart_with_one_off_sale, runner):
    on_sale(runner)
    html = page(cart_with_one_off_sale, "/cart")
    assert "cart-line-gone" not in html
    assert "194.00" in re.search(r"data-subtotal>(.*?)</dd>", html, re.S).group(1)  # 158.00 + 36.00


def test_the_checkout_page_says_what_changed(cart_with_one_off_sale):
    shown = text(page(cart_with_one_off_sale, "/checkout"))
    assert "Taif Rose Water is no longer available: it is left out of your total" in shown
    assert "183.00" in shown


def test_pay_leaves_it_out_says_so_and_sends_nobody_to_points_until_pressed_again(
    cart_with_one_off_sale, requests_mock
):
    requests_mock.post(POINTS_CHECKOUT, json=POINTS_ANSWER)
    response = cart_with_one_off_sale.post("/checkout", data=CUSTOMER)
    assert response.status_code == 200
    assert "Taif Rose Water is no longer available and was left out. Check the new total" in text(
        response.get_data(as_text=True)
    )
    assert requests_mock.call_count == 0
    again = cart_with_one_off_sale.post("/checkout", data=CUSTOMER)
    assert again.status_code == 303
    sent = requests_mock.last_request.json()
    assert [(p["product_name"], p["quantity"]) for p in sent["products"]] == [("Sukkari Dates Box", 2)]
    assert sent["total_price"] == 183.0


def test_cash_on_delivery_leaves_it_out_too(cart_with_one_off_sale):
    response = cart_with_one_off_sale.post("/checkout", data={**CUSTOMER, "payment": "cod"})
    assert response.status_code == 200 and "Taif Rose Water is no longer available and was left out." in text(
        response.get_data(as_text=True)
    )


def test_a_cart_of_only_off_sale_products_says_so(client, runner, requests_mock):
    requests_mock.post(POINTS_CHECKOUT, json=POINTS_ANSWER)
    client.post("/products/rose-water", data={"quantity": 1})
    off_sale(runner)
    shown = client.get("/checkout", follow_redirects=True)
    assert "Nothing in your cart is available any more." in text(shown.get_data(as_text=True))
    response = client.post("/checkout", data=CUSTOMER)
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    assert "Taif Rose Water is no longer available, so your cart is empty now." in text(page(client, "/cart"))
    assert requests_mock.call_count == 0


def test_try_again_leaves_it_out_and_says_so(client, runner, make_order):
    order = make_order(status="cancelled", lines=(("ajwa-dates", 1), ("rose-water", 1)))
    off_sale(runner)
    response = client.post(f"/checkout/retry/{order.token}", follow_redirects=True)
    shown = text(response.get_data(as_text=True))
    assert "Taif Rose Water is no longer available and was left out." in shown
    assert "Ajwa Dates" in shown and "cart-line-gone" not in page(client, "/cart")


def test_taking_it_off_sale_changes_every_kept_page_at_once(cart_with_one_off_sale, runner):
    """The fixture kept the cart, checkout, catalogue and product pages before the change."""
    client = cart_with_one_off_sale
    assert "rose-water" not in listed(page(client, "/"))
    assert 'data-testid="off-sale"' in page(client, "/products/rose-water")
    assert "cart-line-gone" in page(client, "/cart")
    on_sale(runner)
    assert "rose-water" in listed(page(client, "/?category=Home+%26+Fragrance"))
    assert 'class="add-to-cart' in page(client, "/products/rose-water")
    assert "cart-line-gone" not in page(client, "/cart")


@pytest.mark.parametrize("url", ["/", "/products/rose-water", "/cart", "/checkout"])
def test_pages_with_an_off_sale_product_make_at_most_three_queries(cart_with_one_off_sale, url):
    client = cart_with_one_off_sale
    for expected in (3, 1):  # drawn afresh, then kept
        with client:
            assert client.get(url).status_code == 200
            assert len(get_recorded_queries()) <= expected, url


def test_the_command_refuses_a_slug_it_does_not_know(runner):
    result = runner.invoke(args=["products", "off-sale", "no-such-thing"])
    assert result.exit_code != 0 and "No product has the slug 'no-such-thing'" in result.output


# --- Against the running shop --------------------------------------------------------------------


def test_an_off_sale_product_on_the_running_shop(live):
    shopper = live.shopper()
    live.add_to_cart(shopper, "sukkari-dates", 1)
    live.add_to_cart(shopper, "rose-water", 1)
    token = live.csrf_token(shopper, "/checkout")
    off_sale(live.app.test_cli_runner(), "rose-water")
    try:
        product = shopper.get(live.url + "/products/rose-water")
        assert product.status_code == 200 and "We no longer sell this product" in text(product.text)
        assert 'class="add-to-cart' not in product.text
        refused = shopper.post(
            live.url + "/products/rose-water", data={"quantity": 1, "csrf_token": token}, allow_redirects=False
        )
        assert refused.status_code == 303
        cart = shopper.get(live.url + "/cart")
        assert 'data-testid="gone-line"' in cart.text and "No longer available" in text(cart.text)
        assert "rose-water" not in listed(shopper.get(live.url + "/").text)

        paid = shopper.post(live.url + "/checkout", data={"csrf_token": token, **CUSTOMER}, allow_redirects=False)
        assert paid.status_code == 200 and "Taif Rose Water is no longer available and was left out." in text(paid.text)
        again = live.pay(shopper, phone="0500000001")
        assert again.status_code == 303 and again.headers["Location"].startswith(live.sandbox_url)
        order = live.latest_order()
        assert order.total == Decimal("104.00")  # 79.00 + 25.00 shipping: the dates alone
    finally:
        on_sale(live.app.test_cli_runner(), "rose-water")  # the live shop is shared by the session
