from flask import Blueprint, g, session
from sqlalchemy.exc import SQLAlchemyError

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


@bp.app_context_processor
def cart_item_count() -> dict:
    """``cart_item_count`` for the header on every page: free if the view loaded the cart, else one query."""
    if "cart" in g:
        return {"cart_item_count": sum(line.quantity for line in g.cart.lines) if g.cart else 0}
    try:
        return {"cart_item_count": service.item_count(session.get(CART_SESSION_KEY))}
    except SQLAlchemyError:
        # An error page must still render when the database is what failed.
        return {"cart_item_count": 0}


from . import views  # noqa: E402,F401
