"""Template helpers for every page: the category list in the nav, and the names of categories and
products in the shopper's language.

Money, times and the language switch are ``storefront/i18n.py``'s, for the shop and the admin alike.
"""

from flask import current_app, get_template_attribute, request
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from .. import catalogue, shopper
from ..config import DEMO_SANDBOX_PATH
from ..i18n import current_language
from . import bp


@bp.app_template_filter("category_name")
def category_name(category: str) -> str:
    """A category as stored (English, as in its URL), in the shopper's language."""
    return gettext(category) if category else ""


@bp.app_template_filter("product_name")
def product_name(product) -> str:
    """A product's name in the shopper's language: a catalogue row or a Product alike."""
    return catalogue.name_in(product, current_language())


@bp.app_template_filter("product_description")
def product_description(product) -> str:
    return catalogue.description_in(product, current_language())


def current_catalogue() -> catalogue.Snapshot:
    """The catalogue as this request sees it, at the version read once per request (shopper.py)."""
    return shopper.current().catalogue


@bp.app_template_global()
def category_nav(current: str | None = None) -> Markup:
    """The category nav (templates/shop/_nav.html), the same for every shopper of a language:
    rendered once per catalogue version and language. ``current``: the category shown, '' for
    all products, None elsewhere."""
    catalogue = current_catalogue()

    def render() -> Markup:
        macro = get_template_attribute("shop/_nav.html", "category_nav")
        return Markup(macro(catalogue.category_names(), current))

    if current_app.jinja_env.auto_reload:
        return render()  # debug mode: an edited template shows at once
    return catalogue.memo(("category_nav", current, request.script_root, current_language()), render)


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
