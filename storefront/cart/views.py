from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _

from .. import carts, page_cache
from ..catalogue import name_in
from ..i18n import current_language
from ..session_cart import cart_contents, current_cart, current_totals
from . import bp
from .forms import LineQuantityForm, RemoveLineForm


@bp.get("/cart")
def show():
    return page_cache.render_kept_page(("cart", cart_contents().key), "cart/cart.html", cart_page)


def cart_page() -> dict:
    totals = current_totals()
    free_from = current_app.config["FREE_SHIPPING_FROM"]
    return dict(
        totals=totals,
        free_shipping_from=free_from,
        missing_for_free_shipping=max(free_from - totals.subtotal, 0),
        max_quantity=carts.MAX_QUANTITY,
    )


@bp.post("/cart/lines/<int:product_id>")
def update_line(product_id):
    form = LineQuantityForm()
    cart = current_cart()
    if cart is not None and form.validate_on_submit():
        if product := carts.set_quantity(cart, product_id, form.quantity.data):
            flash(
                _(
                    "%(product)s: quantity set to %(quantity)d.",
                    product=name_in(product, current_language()),
                    quantity=form.quantity.data,
                ),
                "success",
            )
    elif form.quantity.errors:
        flash(form.quantity.errors[0], "error")
    return redirect(url_for(".show"))


@bp.post("/cart/lines/<int:product_id>/remove")
def remove_line(product_id):
    cart = current_cart()
    if cart is not None and RemoveLineForm().validate_on_submit():
        if product := carts.set_quantity(cart, product_id, 0):
            flash(_("%(product)s was removed from your cart.", product=name_in(product, current_language())), "info")
    return redirect(url_for(".show"))


@bp.post("/cart/gone/<int:line_id>/remove")
def remove_gone_line(line_id):
    """Remove a line whose product is no longer available (it has no product to name it by)."""
    cart = current_cart()
    if cart is not None and RemoveLineForm().validate_on_submit():
        for gone in carts.remove_gone(cart, line_id):
            flash(_("%(product)s was removed from your cart.", product=gone.name_in(current_language())), "info")
    return redirect(url_for(".show"))
