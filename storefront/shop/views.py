import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from .. import carts, catalogue, page_cache
from ..addresses import safe_next
from ..config import DEMO_SANDBOX_PATH
from ..extensions import db
from ..i18n import LANG_COOKIE, LANG_COOKIE_MAX_AGE, LANGUAGES, current_language
from ..models import Product
from ..session_cart import current_cart, item_count
from . import bp
from .forms import AddToCartForm


@bp.app_template_global()
def shop_header() -> dict:
    """What base.html's header and footer show: the cart count, the nav's categories, the demo links.
    base.html asks for it itself, so a page that does not extend it (the back office) reads no cart."""
    try:
        return {
            "cart_item_count": item_count(),
            "nav_categories": [c.name for c in catalogue.categories()],
            "sandbox_control_path": f"{DEMO_SANDBOX_PATH}/_control/",
        }
    except SQLAlchemyError:
        # An error page must still render when the database is what failed.
        db.session.rollback()
        return {"cart_item_count": 0, "nav_categories": [], "sandbox_control_path": f"{DEMO_SANDBOX_PATH}/_control/"}


@bp.get("/", endpoint="catalogue")
def catalogue_page():
    category = request.args.get("category") or None
    number = request.args.get("page", 1, type=int)

    def values() -> dict:
        page = catalogue.page(number, category)
        if page is None:
            abort(404)
        return dict(page=page, current_category=category)

    return page_cache.render_kept_page(
        ("catalogue", category, number),
        "shop/catalogue.html",
        values,
        here=lambda: url_for("shop.catalogue", category=category, page=number if number > 1 else None),
    )


@bp.get("/products/<slug>")
def product(slug):
    return page_cache.render_kept_page(("product", slug), "shop/product.html", lambda: product_page(slug))


@bp.post("/products/<slug>")
def add_to_cart(slug):
    product = db.first_or_404(sa.select(Product).where(Product.slug == slug))
    if not product.on_sale:  # an old tab's form: say so on the page, which now says it too
        flash(no_longer_on_sale(product), "error")
        return redirect(url_for("shop.product", slug=slug), code=303)
    form = AddToCartForm()
    if form.validate_on_submit():
        carts.add_product(current_cart(create=True), product, form.quantity.data)
        flash(
            _(
                "Added %(quantity)d × %(product)s to your cart.",
                quantity=form.quantity.data,
                product=catalogue.name_in(product, current_language()),
            ),
            "success",
        )
        return redirect(url_for("cart.show"))
    # A form with errors re-renders with 200, like the checkout form: the browser console stays clean.
    return render_template("shop/product.html", **product_page(slug, form))


def no_longer_on_sale(product: Product) -> str:
    return _(
        "%(product)s is no longer available, so it cannot be added to your cart.",
        product=catalogue.name_in(product, current_language()),
    )


def product_page(slug: str, form: AddToCartForm | None = None) -> dict:
    product, related = catalogue.product_with_related(slug)
    if product is None:
        abort(404)
    return dict(product=product, related=related, form=form or AddToCartForm(formdata=None))


@bp.get("/language/<code>")
def switch_language(code):
    """The switch on every page: remember the choice, and go back to the same page."""
    response = redirect(safe_next(request.args.get("next"), url_for("shop.catalogue")), code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=LANG_COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on every page without a <link rel=icon>, the sandbox's too.
    return send_from_directory(current_app.static_folder, "img/favicon.svg", mimetype="image/svg+xml", max_age=86400)
