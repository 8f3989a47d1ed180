from flask import Blueprint, g, session

from ..extensions import db
from ..models import Cart
from . import service

bp = Blueprint("cart", __name__)

CART_SESSION_KEY = "cart_token"


def current_cart(create: bool = False) -> Cart | None:
    """The shopper's cart, found by the token in the (permanent, signed) session cookie."""
    if "cart" not in g:
        g.cart = service.load_cart(session.get(CART_SESSION_KEY))
    if g.cart is None and create:
        g.cart = Cart()
        db.session.add(g.cart)
        db.session.commit()
        session[CART_SESSION_KEY] = g.cart.token
        session.permanent = True  # survives a browser restart
    return g.cart


from . import views  # noqa: E402,F401
