"""Each request has its own app context, so what a page keeps in ``g`` (the shopper's cart, the
nav's categories) is never seen by the next request, with no hook in the app to undo it."""

import re

import sqlalchemy as sa

from storefront.extensions import db
from storefront.models import Product


def cart_count(response) -> int:
    """The item count in the header's cart link."""
    return int(re.search(r"data-cart-count>\s*(\d+)\s*<", response.get_data(as_text=True)).group(1))


def test_each_request_shows_its_own_shoppers_cart(app):
    sara, omar = app.test_client(), app.test_client()

    assert sara.post("/products/dallah-brass", data={"quantity": 2}).status_code == 302
    assert cart_count(omar.get("/")) == 0  # not Sara's cart, loaded by the request before
    assert omar.post("/products/rose-water", data={"quantity": 5}).status_code == 302
    assert cart_count(sara.get("/cart")) == 2
    assert cart_count(omar.get("/")) == 5


def test_each_request_reads_the_nav_categories_afresh(app, client):
    assert "Gift Boxes" not in client.get("/cart").get_data(as_text=True)

    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.slug == "rose-water"))
        product.category = "Gift Boxes"
        db.session.commit()

    assert 'href="/?category=Gift+Boxes"' in client.get("/cart").get_data(as_text=True)
