"""A product deleted while it sits in a cart: the line is shown as gone (with Remove), every total
leaves it out, Pay says what changed and never 500s, and nobody is sent to Points for nothing.

Foreign keys hold on SQLite as on PostgreSQL: a cart line or an order line outlives its product
(``product_id`` NULL, the names kept), and no line can point at a product that does not exist.
"""

import re
import secrets
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from page_text import text
from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.models import Cart, CartLine, OrderLine, Product

CUSTOMER = {"phone": "0551234567", "name": "Sara Al-Qahtani", "city": "Riyadh", "address_line": "King Fahd Rd 1"}
POINTS_CHECKOUT = "http://points.invalid/api/v1/orders/checkout/pk_sandbox_demo"
POINTS_ANSWER = {
    "status": True,
    "message": "",
    "appended_data": {},
    "data": {"checkout_url": "https://points.test/c/1"},
}


def delete_product(app, slug: str) -> None:
    """As staff or an operator would: a plain DELETE, the database deciding what becomes of the lines."""
    with app.app_context():
        db.session.execute(sa.delete(Product).where(Product.slug == slug))
        db.session.commit()


@pytest.fixture
def cart_with_one_gone(app, client):
    """Dates (79.00 × 2) and rose water in the cart; then the rose water is deleted."""
    assert client.post("/products/sukkari-dates", data={"quantity": 2}).status_code == 302
    assert client.post("/products/rose-water", data={"quantity": 1}).status_code == 302
    client.get("/cart")  # kept as it was, before the deletion
    client.get("/checkout")
    delete_product(app, "rose-water")
    return client


@pytest.mark.parametrize(
    "language, gone_word, remove_word", [("en", "No longer available", "Remove"), ("ar", "لم يعد متوفرًا", "إزالة")]
)
def test_the_cart_shows_a_gone_line_as_gone_with_remove_and_leaves_it_out_of_the_totals(
    cart_with_one_gone, language, gone_word, remove_word
):
    page = cart_with_one_gone.get("/cart", headers={"Accept-Language": language})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    [gone] = re.findall(r'<li class="cart-line cart-line-gone".*?</li>', html, re.S)
    assert gone_word in text(gone) and remove_word in text(gone)
    assert re.search(r'<form[^>]+action="/cart/gone/\d+/remove"', gone) and 'name="csrf_token"' in gone
    name = "ماء ورد طائفي" if language == "ar" else "Taif Rose Water"
    assert name.split()[0] in text(gone)
    subtotal = re.search(r"data-subtotal>(.*?)</dd>", html, re.S).group(1)
    assert "158.00" in subtotal  # the dates only


def test_remove_takes_the_gone_line_out(cart_with_one_gone):
    html = cart_with_one_gone.get("/cart").get_data(as_text=True)
    action = re.search(r'action="(/cart/gone/\d+/remove)"', html).group(1)
    response = cart_with_one_gone.post(action, follow_redirects=True)
    page = text(response.get_data(as_text=True))
    assert "Taif Rose Water was removed from your cart." in page
    assert "No longer available" not in page and "Sukkari Dates Box" in page


def test_the_checkout_page_says_what_changed(cart_with_one_gone):
    page = text(cart_with_one_gone.get("/checkout").get_data(as_text=True))
    assert "Taif Rose Water is no longer available: it is left out of your total" in page
    assert "183.00" in page  # 158.00 + 25.00 shipping, no rose water


def test_pay_leaves_the_gone_line_out_says_so_and_sends_nobody_to_points_until_pressed_again(
    app, cart_with_one_gone, requests_mock
):
    requests_mock.post(POINTS_CHECKOUT, json=POINTS_ANSWER)
    response = cart_with_one_gone.post("/checkout", data=CUSTOMER)
    page = text(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Taif Rose Water is no longer available and was left out. Check the new total" in page
    assert "183.00" in page and 'value="Sara Al-Qahtani"' in response.get_data(as_text=True)
    assert requests_mock.call_count == 0  # not sent to pay a total they had not seen

    again = cart_with_one_gone.post("/checkout", data=CUSTOMER)
    assert again.status_code == 303
    sent = requests_mock.last_request.json()
    assert [(p["product_name"], p["quantity"]) for p in sent["products"]] == [("Sukkari Dates Box", 2)]
    assert sent["total_price"] == 183.0


def test_a_cart_whose_every_product_is_gone_says_so_and_sends_nobody_to_points(app, client, requests_mock):
    requests_mock.post(POINTS_CHECKOUT, json=POINTS_ANSWER)
    assert client.post("/products/rose-water", data={"quantity": 1}).status_code == 302
    delete_product(app, "rose-water")

    shown = client.get("/checkout", follow_redirects=True)
    assert "Nothing in your cart is available any more." in text(shown.get_data(as_text=True))
    response = client.post("/checkout", data=CUSTOMER)
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    page = text(client.get("/cart").get_data(as_text=True))
    assert "Taif Rose Water is no longer available, so your cart is empty now." in page
    assert requests_mock.call_count == 0


def test_try_again_on_an_order_whose_product_is_gone_says_so(app, client, make_order):
    order = make_order(status="cancelled", lines=(("ajwa-dates", 1), ("rose-water", 1)))
    delete_product(app, "rose-water")
    response = client.post(f"/checkout/retry/{order.token}", follow_redirects=True)
    page = text(response.get_data(as_text=True))
    assert "Taif Rose Water is no longer available and was left out." in page
    assert "Ajwa Dates" in page


def test_an_order_line_outlives_its_product_and_keeps_its_name(app, make_order):
    order = make_order(status="paid", lines=(("rose-water", 2),))
    delete_product(app, "rose-water")
    with app.app_context():
        [line] = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id)).all()
        assert (line.product_id, line.product_name, line.quantity) == (None, "Taif Rose Water", 2)


def test_the_database_refuses_a_line_to_a_product_that_does_not_exist(app):
    with app.app_context():
        cart = Cart()
        db.session.add(cart)
        db.session.commit()
        db.session.add(CartLine(cart_id=cart.id, product_id=999_999, quantity=1))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_seeding_again_deletes_stale_products_with_foreign_keys_on(app, runner, make_order):
    with app.app_context():
        stale = Product(slug="stale-thing", name="Stale", category="Coffee", price=Decimal("10.00"), image="x.svg")
        db.session.add(stale)
        db.session.commit()
        stale_id = stale.id
    order = make_order(status="paid", lines=(("sukkari-dates", 1),))
    with app.app_context():
        db.session.add(
            OrderLine(order_id=order.id, product_id=stale_id, product_name="Stale", unit_price=10, quantity=1)
        )
        db.session.commit()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Product, stale_id) is None
        names = db.session.scalars(sa.select(OrderLine.product_name).where(OrderLine.order_id == order.id)).all()
        assert sorted(names) == ["Stale", "Sukkari Dates Box"]  # the order still says what was bought


# --- Against the running shop --------------------------------------------------------------------


def test_a_product_deleted_from_a_cart_on_the_running_shop_never_makes_pay_fail(live):
    """The issue's case: Pay answered 500 (AttributeError) every time, over real HTTP."""
    slug = f"gone-{secrets.token_hex(4)}"
    with live.app.app_context():
        db.session.add(
            Product(
                slug=slug,
                name="Limited Qahwa Cups",
                name_ar="فناجين قهوة محدودة",
                category="Coffee",
                price=Decimal("40.00"),
                image="products/sukkari-dates.svg",
                position=9999,
            )
        )
        db.session.commit()
    shopper = live.shopper()
    live.add_to_cart(shopper, "sukkari-dates", 1)
    live.add_to_cart(shopper, slug, 1)
    assert "Limited Qahwa Cups" in shopper.get(live.url + "/cart").text  # and kept as such
    token = live.csrf_token(shopper, "/checkout")
    delete_product(live.app, slug)

    cart = shopper.get(live.url + "/cart")
    assert cart.status_code == 200 and 'data-testid="gone-line"' in cart.text
    assert "No longer available" in text(cart.text)
    ar = shopper.get(live.url + "/cart", headers={"Accept-Language": "ar"})
    assert "فناجين قهوة محدودة" in text(ar.text) and "لم يعد متوفرًا" in text(ar.text)

    paid = shopper.post(live.url + "/checkout", data={"csrf_token": token, **CUSTOMER}, allow_redirects=False)
    assert paid.status_code == 200
    assert "Limited Qahwa Cups is no longer available and was left out." in text(paid.text)
    again = live.pay(shopper, phone="0500000001")
    assert again.status_code == 303 and again.headers["Location"].startswith(live.sandbox_url)
    order = live.latest_order()
    assert order.total == Decimal("104.00")  # 79.00 + 25.00 shipping: the dates alone

    # Remove on the cart page is a CSRF-protected form: without the token nothing is removed.
    other = live.shopper()
    live.add_to_cart(other, "sukkari-dates", 1)
    with live.app.app_context():
        cart_id = db.session.scalar(sa.select(CartLine.cart_id).order_by(CartLine.id.desc()).limit(1))
        db.session.add(CartLine(cart_id=cart_id, product_id=None, quantity=1, product_name="Old Thing"))
        db.session.commit()
    html = other.get(live.url + "/cart").text
    action = re.search(r'action="(/cart/gone/\d+/remove)"', html).group(1)
    refused = other.post(live.url + action, allow_redirects=False)
    assert refused.status_code == 400 and "Old Thing" in other.get(live.url + "/cart").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert other.post(live.url + action, data={"csrf_token": token}).status_code == 200
    assert "Old Thing" not in text(other.get(live.url + "/cart").text)
    requests.get(live.url + "/")  # the shop still serves its catalogue
