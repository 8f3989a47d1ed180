import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _

from .. import catalogue
from ..cart import current_cart, service as cart_service
from ..extensions import db
from ..i18n import current_language
from ..models import Product
from . import bp
from .forms import AddToCartForm


@bp.get("/", endpoint="catalogue")
def catalogue_page():
    category = request.args.get("category") or None
    products = catalogue.products(category)
    if category and not products:
        abort(404)
    return render_template("shop/catalogue.html", products=products, current_category=category)


@bp.route("/products/<slug>", methods=["GET", "POST"])
def product(slug):
    product = db.first_or_404(sa.select(Product).where(Product.slug == slug))
    form = AddToCartForm()
    if form.validate_on_submit():
        cart_service.add_product(current_cart(create=True), product, form.quantity.data)
        flash(_("Added %(quantity)d × %(product)s to your cart.", quantity=form.quantity.data,
                product=product.name_in(current_language())), "success")
        return redirect(url_for("cart.show"))
    # A form with errors re-renders with 200, like the checkout form: the browser console stays clean.
    return render_template("shop/product.html", product=product, form=form, related=catalogue.related(product))


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on every page without a <link rel=icon>, the sandbox's too.
    return send_from_directory(current_app.static_folder, "img/favicon.svg", mimetype="image/svg+xml", max_age=86400)
