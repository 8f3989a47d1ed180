from flask import render_template

from . import bp, current_cart, service


@bp.get("/cart")
def show():
    return render_template("cart/cart.html", totals=service.totals(current_cart()))
