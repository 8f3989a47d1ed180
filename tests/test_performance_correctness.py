"""What the shop's speed-ups must never cost (bench/README.md says what they are).

Pages are kept per catalogue version and cart (page_cache.py), static files in the browser for a
year: none of that may ever show a stale price, a stale or borrowed cart count, anything of
another shopper, or let a shared cache keep a page. And however big the catalogue, a page makes
the same number of queries, at most three.
"""

import hashlib
import re
import shutil
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.record_queries import get_recorded_queries
from page_text import text

from storefront import create_app, page_cache
from storefront.browser_cache import ONE_YEAR
from storefront.extensions import db
from storefront.models import CartLine, CatalogueVersion, Order, Product

CSRF_RE = re.compile(r"""name=["']?csrf_token["']?[^>]*value=["']([^"']+)["']""")


def add_products(app, count: int, category: str = "Coffee") -> None:
    with app.app_context():
        start = db.session.scalar(sa.select(sa.func.count(Product.id)))
        for n in range(start, start + count):
            db.session.add(
                Product(
                    slug=f"extra-{n}",
                    name=f"Extra {n}",
                    category=category,
                    price=Decimal("10.00"),
                    image="products/dallah-brass.svg",
                    position=100 + n,
                )
            )
        db.session.commit()


def set_price(app, slug: str, price: str, how: str = "orm") -> None:
    """Change a price the way someone might: through the ORM, a bulk UPDATE, or plain SQL."""
    with app.app_context():
        if how == "orm":
            db.session.scalar(sa.select(Product).where(Product.slug == slug)).price = Decimal(price)
        elif how == "update":
            db.session.execute(sa.update(Product).where(Product.slug == slug).values(price=Decimal(price)))
        else:
            db.session.execute(
                sa.text("UPDATE product SET price = :price WHERE slug = :slug"), {"price": price, "slug": slug}
            )
        db.session.commit()


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def header_count(page: str) -> int:
    return int(re.search(r"data-cart-count>(\d+)<", page).group(1))


@pytest.fixture
def count_queries():
    """``count_queries(client, url)``: every SQL statement one GET runs (Flask-SQLAlchemy records
    them all: the shop reads only through ``db.session``)."""

    def count(client, url: str) -> int:
        with client:  # keeps the request's context, where its queries were recorded
            assert client.get(url).status_code == 200, url
            return len(get_recorded_queries())

    return count


# --- Queries: constant, whatever the size of the catalogue -------------------------------------


@pytest.mark.parametrize("url", ["/", "/?category=Coffee", "/products/finjan-set", "/cart"])
def test_a_page_makes_as_many_queries_with_1000_products_as_with_16(app, client, count_queries, url):
    client.post("/products/dallah-brass", data={"quantity": 1})  # a cart: the header counts it
    html(client, "/cart")  # shows the "Added" message (a page with a message is never kept)
    first_with_16, again_with_16 = count_queries(client, url), count_queries(client, url)
    add_products(app, 984)
    first_with_1000, again_with_1000 = count_queries(client, url), count_queries(client, url)
    assert first_with_16 == first_with_1000 <= 3  # the catalogue just changed: the page is drawn again
    assert again_with_16 == again_with_1000 == 1  # then only the shopper's read (version and cart)


@pytest.mark.parametrize("url", ["/", "/products/dallah-brass", "/cart", "/checkout"])
def test_a_page_makes_as_many_queries_with_12_cart_lines_as_with_2(app, client, count_queries, url):
    with app.app_context():
        slugs = db.session.scalars(sa.select(Product.slug).order_by(Product.id)).all()
    for slug in slugs[:2]:
        client.post(f"/products/{slug}", data={"quantity": 1})
    html(client, "/cart")  # shows the "Added" messages (a page with a message is never kept)
    count_queries(client, url)
    with_2 = count_queries(client, url)
    for slug in slugs[2:12]:
        client.post(f"/products/{slug}", data={"quantity": 1})
    html(client, "/cart")
    first_with_12, again_with_12 = count_queries(client, url), count_queries(client, url)
    assert with_2 == again_with_12 == 1
    assert first_with_12 <= 3  # a cart not drawn before: its lines and products in one query
    assert header_count(html(client, url)) == 12


# --- Pages of the catalogue ---------------------------------------------------------------------


def product_links(page: str) -> list[str]:
    return re.findall(r'<h3 class="product-name"><a href="/products/([^"]+)"', page)


def test_the_catalogue_shows_24_products_a_page_and_links_to_the_others(app, client):
    add_products(app, 984, category="Coffee")  # 1,000 products: 42 pages, the last one with 16
    first = html(client, "/")
    assert len(product_links(first)) == 24
    assert 'rel="next" href="/?page=2"' in first and 'aria-label="Page 42"' in first
    assert 'aria-current="page">1</span>' in first
    assert 'aria-disabled="true"><span class="back-arrow" aria-hidden="true">‹</span> Previous' in first
    middle = html(client, "/?page=21")
    assert len(product_links(middle)) == 24 and not set(product_links(middle)) & set(product_links(first))
    assert 'rel="prev" href="/?page=20"' in middle and 'rel="next" href="/?page=22"' in middle
    last = html(client, "/?page=42")
    assert len(product_links(last)) == 16 and "Page 42 of 42" in last
    assert 'aria-disabled="true">Next <span class="forward-arrow" aria-hidden="true">›</span>' in last
    assert 'rel="prev" href="/?page=41"' in last and '<title>Page 42 · Points Storefront</title>' in last


def test_pages_of_a_category_keep_the_category_in_their_links(app, client):
    add_products(app, 40, category="Coffee")  # 44 coffee products: 2 pages
    first = html(client, "/?category=Coffee")
    assert len(product_links(first)) == 24
    assert 'rel="next" href="/?category=Coffee&amp;page=2"' in first
    second = html(client, "/?category=Coffee&page=2")
    assert len(product_links(second)) == 20 and 'rel="prev" href="/?category=Coffee"' in second


@pytest.mark.parametrize("url", ["/?page=2", "/?page=0", "/?page=-1", "/?page=99999999999", "/?category=Coffee&page=2"])
def test_a_page_past_the_end_is_a_404_page(client, url):
    response = client.get(url)
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_a_page_number_that_is_not_a_number_shows_the_first_page(client):
    assert product_links(html(client, "/?page=two")) == product_links(html(client, "/"))


def test_a_catalogue_that_fits_one_page_has_no_pager(client):
    assert 'class="pager"' not in html(client, "/")


# --- Never a stale price -----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["orm", "update", "sql"])
def test_a_price_changed_in_the_database_shows_on_every_page_at_once(app, client, how):
    client.post("/products/sukkari-dates", data={"quantity": 1})
    pages = [
        "/",
        "/?category=Dates+%26+Sweets",
        "/products/sukkari-dates",
        "/products/ajwa-dates",
        "/cart",
        "/checkout",
    ]
    for url in pages:
        assert "79.00 SAR" in text(html(client, url)), url  # kept now: the sukkari box at its old price
    set_price(app, "sukkari-dates", "81.25", how)
    for url in pages:  # ajwa-dates shows the sukkari box among its related products
        page = text(html(client, url))
        assert "81.25 SAR" in page and "79.00 SAR" not in page, url


def test_products_added_renamed_or_deleted_show_at_once(app, client):
    html(client, "/")
    with app.app_context():
        db.session.add(
            Product(
                slug="tea",
                name="Saudi Red Tea",
                category="Tea",
                price=Decimal("12.00"),
                image="products/rose-water.svg",
                position=-1,
            )
        )
        db.session.scalar(sa.select(Product).where(Product.slug == "finjan-set")).name = "Finjan Set of Eight"
        db.session.delete(db.session.scalar(sa.select(Product).where(Product.slug == "rose-water")))
        db.session.commit()
    page = html(client, "/")
    assert "Saudi Red Tea" in page and 'href="/?category=Tea"' in page  # a new category in the nav
    assert "Finjan Set of Eight" in page and "Rose Water" not in page
    assert client.get("/products/rose-water").status_code == 404


def test_seed_puts_the_demo_prices_back_on_the_pages(app, client, runner):
    set_price(app, "saudi-khawlani-coffee", "1.00")
    assert "1.00 SAR" in text(html(client, "/products/saudi-khawlani-coffee"))
    assert runner.invoke(args=["seed"]).exit_code == 0
    page = html(client, "/products/saudi-khawlani-coffee")
    assert "68.00 SAR" in text(page) and '<span class="sar-amount">1.00</span>' not in page


@pytest.mark.parametrize(
    "statement",
    [
        (
            "INSERT INTO product (slug, name, category, description, price, image, position) "
            "VALUES ('x', 'X', 'Coffee', '', 1, 'products/x.svg', 99)"
        ),
        "UPDATE product SET name = 'Renamed' WHERE slug = 'ajwa-dates'",
        "DELETE FROM product WHERE slug = 'ajwa-dates'",
    ],
)
def test_every_write_to_product_moves_the_catalogue_version(app_context, statement):
    version = db.session.scalar(sa.select(CatalogueVersion.version))
    db.session.execute(sa.text(statement))
    db.session.commit()
    assert db.session.scalar(sa.select(CatalogueVersion.version)) > version


def test_without_its_version_row_the_shop_reads_everything_afresh(app, client):
    client.post("/products/sukkari-dates", data={"quantity": 2})
    with app.app_context():
        db.session.execute(sa.delete(CatalogueVersion))
        db.session.commit()
    set_price(app, "sukkari-dates", "70.00")
    page = html(client, "/")
    assert "70.00 SAR" in text(page) and header_count(page) == 2
    assert "140.00 SAR" in text(html(client, "/cart"))


# --- Never a stale or borrowed cart count, never another shopper's anything -----------------------


def test_the_header_count_follows_the_cart_on_pages_kept_for_everyone(client):
    assert header_count(html(client, "/")) == 0
    client.post("/products/rose-water", data={"quantity": 2})
    assert header_count(html(client, "/")) == 2
    client.post("/products/finjan-set", data={"quantity": 3})
    assert header_count(html(client, "/")) == 5
    assert header_count(html(client, "/products/finjan-set")) == 5


def test_a_cart_emptied_elsewhere_shows_empty_at_once(app, client):
    client.post("/products/rose-water", data={"quantity": 2})
    assert header_count(html(client, "/")) == 2
    with app.app_context():
        db.session.execute(sa.delete(CartLine))  # as a payment empties the paid cart, in the webhook
        db.session.commit()
    assert header_count(html(client, "/")) == 0
    assert "Your cart is empty." in html(client, "/cart")


def test_shoppers_each_see_their_own_cart_count(app):
    sara, omar, newcomer = app.test_client(), app.test_client(), app.test_client()
    sara.post("/products/rose-water", data={"quantity": 2})
    omar.post("/products/ajwa-dates", data={"quantity": 5})
    for url in ["/", "/products/rose-water", "/?category=Coffee", "/cart"]:
        for shopper_, count in [(sara, 2), (omar, 5), (newcomer, 0), (sara, 2)]:
            assert header_count(html(shopper_, url)) == count, url
    assert "Ajwa" not in html(sara, "/cart") and "Rose Water" not in html(omar, "/cart")


def test_a_flash_message_shows_once_and_only_to_its_shopper(app):
    sara, omar = app.test_client(), app.test_client()
    html(omar, "/")
    sara.post("/products/rose-water", data={"quantity": 2})  # "Added ..." waits for Sara's next page
    assert "Added 2 × Taif Rose Water" not in html(omar, "/")
    assert "Added 2 × Taif Rose Water" in html(sara, "/")
    assert "Added 2 × Taif Rose Water" not in html(sara, "/")


def test_the_cart_and_checkout_follow_every_change_to_the_cart(app, client):
    def totals_shown() -> list[str]:
        shown = []
        for url in ("/cart", "/checkout"):
            html(client, url)  # a flash message shows once, on a page rendered for it; then kept
            shown.append(re.search(r"Total incl\. VAT ?([\d,.]+) SAR", text(html(client, url))).group(1))
        return shown

    client.post("/products/sukkari-dates", data={"quantity": 1})
    assert totals_shown() == ["104.00", "104.00"]  # 79.00 + 25.00 shipping
    client.post("/products/ajwa-dates", data={"quantity": 2})
    assert totals_shown() == ["319.00", "319.00"]  # 79.00 + 2 × 120.00, ships free
    with app.app_context():  # the same products and item count, the quantities swapped elsewhere
        for slug, quantity in [("sukkari-dates", 2), ("ajwa-dates", 1)]:
            db.session.execute(
                sa.update(CartLine).where(CartLine.product_id == product_id(app, slug)).values(quantity=quantity)
            )
        db.session.commit()
    assert totals_shown() == ["303.00", "303.00"]  # 2 × 79.00 + 120.00 + 25.00 shipping
    client.post(f"/cart/lines/{product_id(app, 'ajwa-dates')}", data={"quantity": 3})
    assert totals_shown() == ["518.00", "518.00"]
    for slug in ("sukkari-dates", "ajwa-dates"):
        client.post(f"/cart/lines/{product_id(app, slug)}/remove")
    assert "Your cart is empty." in html(client, "/cart")
    assert client.get("/checkout").status_code == 302  # nothing to pay for: back to the cart


def test_shoppers_with_the_same_cart_each_see_only_their_own_details_at_checkout(app, client, make_order):
    omar = app.test_client()
    noura_failed = make_order("cancelled", lines=(("ajwa-dates", 2),), status_reason="checkout abandoned")
    with app.app_context():
        order = db.session.get(Order, noura_failed.id)
        order.customer_name, order.phone, order.city = "Noura Al-Harbi", "551234567", "Dammam"
        db.session.commit()
    omar.post("/products/ajwa-dates", data={"quantity": 2})
    omar_pages = [html(omar, "/checkout"), html(omar, "/checkout")]  # kept for this cart before Noura comes
    client.get("/")
    assert client.post(f"/checkout/retry/{noura_failed.token}").status_code == 302  # her cart: the same line
    for _ in range(2):  # with the retry's message, then without
        noura_page = html(client, "/checkout")
        assert re.search(r'name="name"[^>]*value="Noura Al-Harbi"', noura_page)
        assert re.search(r'name="city"[^>]*value="Dammam"', noura_page)
    omar_pages.append(html(omar, "/checkout"))
    for page in omar_pages:
        assert "Noura" not in page and "Dammam" not in page and "551234567" not in page
        assert re.search(r'<input[^>]* name="name"[^>]* value=""', page)  # an empty field
        assert "240.00" in text(page)  # 2 × 120.00, the same cart as Noura's


def test_each_shopper_gets_their_own_csrf_token_on_a_kept_cart_page(csrf_app):
    sara, omar = csrf_app.test_client(), csrf_app.test_client()
    for shopper_ in (sara, omar):
        token = CSRF_RE.search(html(shopper_, "/products/ajwa-dates")).group(1)
        shopper_.post("/products/ajwa-dates", data={"quantity": 1, "csrf_token": token})
    sara_tokens = set(CSRF_RE.findall(html(sara, "/cart")))
    omar_tokens = set(CSRF_RE.findall(html(omar, "/cart")))
    assert len(sara_tokens) == len(omar_tokens) == 1 and sara_tokens != omar_tokens
    ajwa = product_id(csrf_app, "ajwa-dates")
    (sara_token,) = sara_tokens
    assert omar.post(f"/cart/lines/{ajwa}", data={"quantity": 4, "csrf_token": sara_token}).status_code == 400
    assert sara.post(f"/cart/lines/{ajwa}", data={"quantity": 4, "csrf_token": sara_token}).status_code == 302
    assert header_count(html(sara, "/cart")) == 4 and header_count(html(omar, "/cart")) == 1


def product_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Product.id).where(Product.slug == slug))


@pytest.fixture
def csrf_app(app_config):
    return create_app({**app_config, "WTF_CSRF_ENABLED": True})


def test_each_shopper_gets_their_own_csrf_token_on_a_kept_product_page(csrf_app):
    sara, omar = csrf_app.test_client(), csrf_app.test_client()
    sara_token = CSRF_RE.search(html(sara, "/products/ajwa-dates")).group(1)
    omar_token = CSRF_RE.search(html(omar, "/products/ajwa-dates")).group(1)
    assert sara_token != omar_token
    assert omar.post("/products/ajwa-dates", data={"quantity": 1, "csrf_token": sara_token}).status_code == 400
    assert sara.post("/products/ajwa-dates", data={"quantity": 1, "csrf_token": sara_token}).status_code == 302
    assert omar.post("/products/ajwa-dates", data={"quantity": 3, "csrf_token": omar_token}).status_code == 302
    assert header_count(html(sara, "/")) == 1 and header_count(html(omar, "/")) == 3


# --- What browsers and proxies may keep ------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/?page=1", "/products/ajwa-dates", "/cart", "/checkout", "/nope", "/admin/login"]
)
def test_no_html_page_may_be_kept_by_a_shared_cache(client, url):
    client.post("/products/ajwa-dates", data={"quantity": 1})
    response = client.get(url, follow_redirects=True)
    assert response.mimetype == "text/html"
    cache_control = response.cache_control
    assert not cache_control.public
    assert cache_control.private or cache_control.no_store, response.headers.get("Cache-Control")
    assert cache_control.no_cache or cache_control.no_store  # and the browser asks again each time


def test_an_unchanged_page_is_answered_304_and_a_changed_one_in_full(app, client):
    first = client.get("/")
    assert first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    set_price(app, "ajwa-dates", "99.00")
    changed = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "99.00 SAR" in text(changed.get_data(as_text=True))


def test_a_page_with_a_fresh_csrf_token_has_no_etag(csrf_app):
    assert "ETag" not in csrf_app.test_client().get("/products/ajwa-dates").headers


KEPT_FORMS = {
    "test/kept_form.html": "<form method=post>{{ form.csrf_token }}</form>",
    "test/kept_hidden_tag.html": "<form method=post>{{ form.hidden_tag() }}</form>",
    "test/kept_csrf_token.html": "<form method=post><input type=hidden name=csrf_token value='{{ csrf_token() }}'></form>",
}


@pytest.mark.parametrize("template", sorted(KEPT_FORMS))
def test_a_kept_page_written_the_usual_way_gives_each_shopper_their_own_csrf_token(csrf_app, template):
    from flask_wtf import FlaskForm
    from jinja2 import ChoiceLoader, DictLoader

    csrf_app.jinja_loader = ChoiceLoader([DictLoader(KEPT_FORMS), csrf_app.jinja_loader])

    @csrf_app.get("/_test/kept")
    def kept():
        return page_cache.render_kept_page(("test", template), template, lambda: {"form": FlaskForm()})

    @csrf_app.post("/_test/kept")
    def posted():
        FlaskForm().validate_on_submit() or csrf_app.aborter(400)
        return "ok"

    sara, omar = csrf_app.test_client(), csrf_app.test_client()
    (sara_token,) = CSRF_RE.findall(html(sara, "/_test/kept"))
    (omar_token,) = CSRF_RE.findall(html(omar, "/_test/kept"))  # the kept page, rendered for Sara
    assert sara_token != omar_token and page_cache.CSRF_PLACEHOLDER.decode() not in sara_token + omar_token
    assert omar.post("/_test/kept", data={"csrf_token": sara_token}).status_code == 400
    assert omar.post("/_test/kept", data={"csrf_token": omar_token}).status_code == 200
    assert sara.post("/_test/kept", data={"csrf_token": sara_token}).status_code == 200


def test_the_session_cookie_is_sent_only_when_the_session_changes(client):
    assert "Set-Cookie" in client.post("/products/ajwa-dates", data={"quantity": 1}).headers
    html(client, "/cart")  # shows (and so removes) the "Added" message: the session changed
    for url in ["/", "/products/ajwa-dates", "/cart"]:
        assert "Set-Cookie" not in client.get(url).headers, url


# --- The session cookie (Flask's own) --------------------------------------------------------------


def a_shopper_with_a_cart(app):
    shopper_ = app.test_client()
    shopper_.post("/products/ajwa-dates", data={"quantity": 3})
    assert header_count(html(shopper_, "/")) == 3
    return shopper_


def test_a_session_ends_after_its_lifetime(app, monkeypatch):
    shopper_ = a_shopper_with_a_cart(app)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 29 * 86400)
    assert header_count(html(shopper_, "/")) == 3
    monkeypatch.setattr(time, "time", lambda: now + 31 * 86400)  # PERMANENT_SESSION_LIFETIME: 30 days
    assert header_count(html(shopper_, "/")) == 0


def test_a_new_secret_key_refuses_old_cookies_unless_the_old_key_is_a_fallback(app):
    shopper_ = a_shopper_with_a_cart(app)
    old_key = app.secret_key
    app.secret_key = app.config["SECRET_KEY"] = "a-new-key-" + "0" * 32
    assert header_count(html(shopper_, "/")) == 0
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert header_count(html(shopper_, "/")) == 3


def vary(response) -> list[str]:
    return [part.strip() for part in response.headers.get("Vary", "").split(",") if part.strip()]


def test_every_page_says_it_varies_with_the_cookie_and_the_language_once(client):
    client.post("/products/ajwa-dates", data={"quantity": 1})
    for url in ["/", "/products/ajwa-dates", "/cart", "/checkout"]:
        names = [name.lower() for name in vary(client.get(url))]
        assert names.count("cookie") == 1 and names.count("accept-language") == 1, url


def test_a_session_emptied_deletes_its_cookie(app, client):
    from flask import session

    @app.get("/_test/forget")
    def forget():
        session.clear()
        return "forgotten"

    client.post("/products/ajwa-dates", data={"quantity": 1})
    response = client.get("/_test/forget")
    assert (
        "session=;" in response.headers["Set-Cookie"] and "Expires=Thu, 01 Jan 1970" in response.headers["Set-Cookie"]
    )
    assert client.get_cookie("session") is None and header_count(html(client, "/")) == 0


def static_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page)


def test_static_files_have_their_content_hash_in_the_url_and_are_kept_a_year(app, client):
    urls = static_urls(html(client, "/"))
    assert any(url.startswith("/static/css/shop.css?v=") for url in urls)
    for url in urls:
        path, version = url.split("?v=")
        content = app.static_folder + path.removeprefix("/static")
        with open(content, "rb") as file:
            assert version == hashlib.sha256(file.read()).hexdigest()[:12], url
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.public and response.cache_control.immutable
        assert response.cache_control.max_age == ONE_YEAR


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_a_static_url_without_the_current_hash_is_revalidated_not_kept(client, query):
    response = client.get("/static/css/shop.css" + query)
    assert response.status_code == 200 and response.cache_control.no_cache
    assert not response.cache_control.max_age and not response.cache_control.immutable
    again = client.get("/static/css/shop.css" + query, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_changed_static_file_gets_a_new_url(app_config, tmp_path):
    def stylesheet_url(shop):
        with shop.test_request_context("/"):
            return re.search(
                r'href="(/static/css/shop.css\?v=[^"]+)"', shop.test_client().get("/").get_data(as_text=True)
            ).group(1)

    shop = create_app(app_config)
    shutil.copytree(shop.static_folder, tmp_path / "static")
    shop.static_folder = str(tmp_path / "static")
    before = stylesheet_url(shop)
    with open(tmp_path / "static/css/shop.css", "a") as file:
        file.write("\n.new-rule { color: red; }\n")
    restarted = create_app(app_config)  # a deploy: a new process
    restarted.static_folder = str(tmp_path / "static")
    assert stylesheet_url(restarted) != before
