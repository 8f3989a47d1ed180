import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _

from .. import page_cache
from ..cart import current_cart
from ..cart import service as cart_service
from ..catalogue import name_in
from ..extensions import db
from ..i18n import current_language
from ..models import Product
from . import bp
from .formatting import current_catalogue
from .forms import AddToCartForm


@bp.get("/", endpoint="catalogue")
def catalogue_page():
    category = request.args.get("category") or None
    page = current_catalogue().page(request.args.get("page", 1, type=int), category)
    if page is None:
        abort(404)
    return page_cache.render_kept_page(
        ("catalogue", category, page.number),
        "shop/catalogue.html",
        lambda: dict(page=page, current_category=category),
        here=lambda: url_for("shop.catalogue", category=category, page=page.number if page.number > 1 else None),
    )


@bp.get("/products/<slug>")
def product(slug):
    product = current_catalogue().product(slug)
    if product is None:
        abort(404)
    return page_cache.render_kept_page(("product", slug), "shop/product.html", lambda: product_page(product))


@bp.post("/products/<slug>")
def add_to_cart(slug):
    product = db.first_or_404(sa.select(Product).where(Product.slug == slug))
    form = AddToCartForm()
    if form.validate_on_submit():
        cart_service.add_product(current_cart(create=True), product, form.quantity.data)
        flash(
            _(
                "Added %(quantity)d × %(product)s to your cart.",
                quantity=form.quantity.data,
                product=name_in(product, current_language()),
            ),
            "success",
        )
        return redirect(url_for("cart.show"))
    # A form with errors re-renders with 200, like the checkout form: the browser console stays clean.
    error = form.quantity.errors[0] if form.quantity.errors else None
    return render_template(
        "shop/product.html",
        **product_page(current_catalogue().product(slug), quantity=request.form.get("quantity", ""), error=error),
    )


def product_page(product, quantity="1", error=None) -> dict:
    # The template writes the add-to-cart form's markup itself, as the cart page does: building a
    # WTForms form on every GET only to print one input cost more than the rest of the page.
    return dict(
        product=product,
        related=current_catalogue().related(product),
        quantity=quantity,
        quantity_error=error,
        max_quantity=cart_service.MAX_QUANTITY,
    )


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on every page without a <link rel=icon>, the sandbox's too.
    return send_from_directory(current_app.static_folder, "img/favicon.svg", mimetype="image/svg+xml", max_age=86400)
