import sqlalchemy as sa
from flask import render_template

from ..extensions import db
from ..models import Product
from . import bp


@bp.get("/")
def catalogue():
    products = db.session.scalars(sa.select(Product).order_by(Product.position)).all()
    return render_template("shop/catalogue.html", products=products)


@bp.get("/products/<slug>")
def product(slug):
    product = db.first_or_404(sa.select(Product).where(Product.slug == slug))
    return render_template("shop/product.html", product=product)
