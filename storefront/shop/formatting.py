"""Template helpers for every page: the ``sar`` money filter and the category list in the nav."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Optional

from flask import current_app, get_template_attribute, request, session
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from .. import catalogue, shopper
from ..cart import CART_SESSION_KEY
from ..config import DEMO_SANDBOX_PATH
from . import bp

CENTS = Decimal("0.01")


@bp.app_template_filter("sar")
def sar(amount) -> str:
    """``{{ 1234.5|sar }}`` -> ``1,234.50 SAR``: two decimals, rounded half up, like the totals."""
    if amount is None or amount == "":
        return ""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return f"{value.quantize(CENTS, rounding=ROUND_HALF_UP):,.2f} SAR"


def current_catalogue() -> catalogue.Snapshot:
    """The catalogue as this request sees it, at the version read once per request (shopper.py)."""
    return shopper.current(session.get(CART_SESSION_KEY)).catalogue


@bp.app_template_global()
def category_nav(current: Optional[str] = None) -> Markup:
    """The category nav (templates/shop/_nav.html), the same for every shopper: rendered once per
    catalogue version. ``current``: the category shown, '' for all products, None elsewhere."""
    catalogue = current_catalogue()

    def render() -> Markup:
        macro = get_template_attribute("shop/_nav.html", "category_nav")
        return Markup(macro(catalogue.category_names(), current))

    if current_app.jinja_env.auto_reload:
        return render()  # debug mode: an edited template shows at once
    return catalogue.memo(("category_nav", current, request.script_root), render)


@bp.app_context_processor
def inject_layout() -> dict:
    """What base.html needs besides the cart count: the nav's categories and the demo links."""
    layout = {"sandbox_control_path": f"{DEMO_SANDBOX_PATH}/_control/"}
    try:
        layout["nav_categories"] = current_catalogue().category_names()
    except SQLAlchemyError:
        # An error page must still render when the database is what failed.
        layout["nav_categories"] = ()
    return layout
