"""The shopper's cart in this request: found by the token in Flask's (signed) session cookie."""

from flask import g, session

from . import carts
from .extensions import db
from .models import Cart

CART_SESSION_KEY = "cart_token"


def current_cart(create: bool = False) -> Cart | None:
    """The shopper's cart (the ORM object, to change it); ``create`` makes one if they have none."""
    if "cart" not in g:
        g.cart = carts.load_cart(session.get(CART_SESSION_KEY))
    if g.cart is None and create:
        g.cart = Cart()
        db.session.add(g.cart)
        db.session.commit()
        session[CART_SESSION_KEY] = g.cart.token
        session.permanent = True  # survives a browser restart
    return g.cart


def cart_contents() -> carts.CartContents:
    """What the shopper's cart holds and the catalogue version: read once per request."""
    if "cart_contents" not in g:
        g.cart_contents = carts.contents(session.get(CART_SESSION_KEY))
    return g.cart_contents


def current_totals() -> carts.CartTotals:
    """The shopper's cart at today's prices, with its products (and its gone lines), to show it."""
    return carts.cart_totals_for(session.get(CART_SESSION_KEY))


def item_count() -> int:
    """How many items the shopper's cart holds, for the header."""
    if "cart" in g:  # a view loaded (and maybe changed) the cart itself
        return sum(line.quantity for line in g.cart.lines if carts.is_available(line)) if g.cart else 0
    return cart_contents().item_count
