"""Template helpers for every page: the category names and list in the nav.

Money, times and the language switch are ``storefront/i18n.py``'s, for the shop and the admin alike.
"""
from flask import g
from flask_babel import gettext
from sqlalchemy.exc import SQLAlchemyError

from .. import catalogue
from ..config import DEMO_SANDBOX_PATH
from . import bp


@bp.app_template_filter("category_name")
def category_name(category: str) -> str:
    """A category as stored (English, as in its URL), in the shopper's language."""
    return gettext(category) if category else ""


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
