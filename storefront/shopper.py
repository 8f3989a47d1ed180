"""What one request's shopper sees: the catalogue at its current version, and their cart.

Every page needs both (the nav, the header's cart count), so one query reads them: the catalogue
version, and the lines of the shopper's cart (product, quantity). The products on those lines,
their names and prices, come from that version's catalogue snapshot (catalogue.py), like every
product on the page. The version is read with the lines on every request, so nothing shown is
older than the database: no stale price, no stale count.
"""

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from flask import g, session

from . import catalogue
from .cart.service import PricedLine, lines_of_cart
from .models import Cart, CartLine, CatalogueVersion
from .transactions import read_on_driver

CART_SESSION_KEY = "cart_token"  # the shopper's session: the token of their cart

# From the one-row catalogue_version table, so there is a row (with the version) even for an
# empty cart or no cart at all.
_VERSION_AND_CART = (
    sa.select(CatalogueVersion.version, CartLine.product_id, CartLine.quantity)
    .select_from(CatalogueVersion)
    .outerjoin(Cart, Cart.token == sa.bindparam("token"))
    .outerjoin(CartLine, CartLine.cart_id == Cart.id)
    .where(CatalogueVersion.id == 1)
    .order_by(CartLine.id)
)


@dataclass(frozen=True)
class Shopper:
    catalogue: catalogue.Snapshot
    lines: tuple[PricedLine, ...]  # their cart, at today's prices

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def current() -> Shopper:
    """This request's shopper (whose session holds their cart's token), read once per request."""
    found = g.get("shopper")
    if found is None:
        found = g.shopper = _read(session.get(CART_SESSION_KEY))
    return found


def _read(cart_token: Optional[str]) -> Shopper:
    rows = read_on_driver(_VERSION_AND_CART, token=cart_token)  # (version, product_id, quantity)
    if not rows:  # the version row is missing (deleted by hand): no snapshot to trust
        return Shopper(catalogue.snapshot(None), tuple(lines_of_cart(cart_token)))
    snapshot = catalogue.snapshot(rows[0][0])
    products = snapshot.products([product_id for _, product_id, _ in rows if product_id is not None])
    return Shopper(
        snapshot,
        tuple(PricedLine(products[product_id], quantity) for _, product_id, quantity in rows if product_id in products),
    )
