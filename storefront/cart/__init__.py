from flask import Blueprint, g, session
from sqlalchemy.exc import SQLAlchemyError

from .. import shopper
from ..extensions import db
from ..models import Cart
from . import service

bp = Blueprint("cart", __name__)


def current_cart(create: bool = False) -> Cart | None:
    """The shopper's cart, found by the token in the (permanent, signed) session cookie."""
    if "cart" not in g:
        g.cart = service.load_cart(session.get(shopper.CART_SESSION_KEY))
    if g.cart is None and create:
        g.cart = Cart()
        db.session.add(g.cart)
        db.session.commit()
        session[shopper.CART_SESSION_KEY] = g.cart.token
        session.permanent = True  # survives a browser restart
    return g.cart


def current_lines() -> tuple[service.PricedLine, ...]:
    """The shopper's cart lines at today's prices, to show them: read with the catalogue version,
    in the one query every page makes (shopper.py)."""
    return shopper.current().lines


def current_item_count() -> int:
    """How many items the shopper's cart holds, for the header."""
    if "cart" in g:  # a view loaded (and maybe changed) the cart itself
        return sum(line.quantity for line in g.cart.lines) if g.cart else 0
    return shopper.current().item_count


@bp.app_context_processor
def cart_item_count() -> dict:
    """``cart_item_count`` for the header on every page."""
    try:
        return {"cart_item_count": current_item_count()}
    except SQLAlchemyError:
        # An error page must still render when the database is what failed.
        return {"cart_item_count": 0}


from . import views  # noqa: E402,F401
