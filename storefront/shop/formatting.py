"""Template helpers for every page: the ``sar`` money filter and the category list in the nav."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import g
from sqlalchemy.exc import SQLAlchemyError

from .. import catalogue
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


def nav_categories() -> list[str]:
    """The catalogue's categories, fetched at most once per request."""
    if "nav_categories" not in g:
        g.nav_categories = catalogue.categories()
    return g.nav_categories


@bp.app_context_processor
def inject_layout() -> dict:
    """What base.html needs besides the cart count: the nav's categories and the demo links."""
    layout = {"sandbox_control_path": f"{DEMO_SANDBOX_PATH}/_control/"}
    try:
        layout["nav_categories"] = nav_categories()
    except SQLAlchemyError:
        # An error page must still render when the database is what failed.
        layout["nav_categories"] = []
    return layout
