"""Checkout: the form, Pay with Points, the return page and the shopper's order page.

The return page (``callback_url``) reads only our database: the webhook is what confirms an
order, never the query string Points appends.
"""

import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import carts, page_cache, rate_limits
from ..addresses import checkout_origin_allowed, external_url_for
from ..browser_cache import live_page
from ..extensions import db
from ..i18n import current_language
from ..models import Order, Product
from ..phone import display_phone
from ..points import orders
from ..points.checkout import (
    CheckoutFailed,
    Customer,
    cash_order_just_placed,
    checkout_progress,
    place_cash_order,
    retire_unanswered,
    start_checkout,
)
from ..points.client import points_uuid
from ..session_cart import cart_contents, current_cart, current_totals
from ..timeline import order_version
from . import bp
from .forms import CheckoutForm

log = logging.getLogger(__name__)

TRY_AGAIN_KEY = "try_again_order"  # session: the token of the order whose details refill the form
WAIT_REFRESH_SECONDS = 2
WAIT_REFRESHES = 15  # about 30 s of quick refreshes before "we are still confirming"
SLOW_REFRESH_SECONDS = 10
PREPARING_REFRESH_SECONDS = 1  # the first press has the checkout_url within a second or so

FRIENDLY_ERRORS = {
    "timeout": _l("Points did not answer in time."),
    "connection": _l("We could not reach Points."),
    "server": _l("Points had a problem on its side."),
    "bad_response": _l("Points sent an answer we could not read."),
    "rate_limited": _l("Points is busy right now."),
}


@bp.get("/checkout")
def show():
    contents = cart_contents()
    if not contents.lines:
        if contents.gone:
            flash(_("Nothing in your cart is available any more."), "info")
        else:
            flash(_("Your cart is empty: add something first."), "info")
        return redirect(url_for("cart.show"))
    details = _details_to_try_again()

    def page() -> dict:
        return dict(form=CheckoutForm(formdata=None, data=details), totals=current_totals())

    if details:  # the shopper's own name and address: never kept for anyone else
        return render_template("checkout/checkout.html", **page())
    return page_cache.render_kept_page(("checkout", contents.key), "checkout/checkout.html", page)


@bp.post("/checkout")
def pay():
    cart = current_cart()
    priced = carts.totals(cart)
    form = CheckoutForm()
    if priced.gone:
        # Never send the shopper to pay a total they have not seen: leave the gone lines out,
        # say so, and let them press Pay again on the new total.
        gone = ", ".join(line.name_in(current_language()) for line in carts.remove_gone(cart))
        priced = carts.totals(cart)
        if priced.is_empty:
            flash(_("%(products)s is no longer available, so your cart is empty now.", products=gone), "error")
            return redirect(url_for("cart.show"))
        form.validate_on_submit()  # what the shopper typed stays, with any field errors
        flash(
            _(
                "%(products)s is no longer available and was left out. Check the new total, then press Pay again.",
                products=gone,
            ),
            "error",
        )
        return render_template("checkout/checkout.html", form=form, totals=priced)
    if priced.is_empty:
        if request.form.get("payment") == orders.CASH_ON_DELIVERY and (placed := cash_order_just_placed(cart)):
            return redirect(url_for("checkout.placed", token=placed.token), code=303)  # a double click
        flash(_("Your cart is empty: add something first."), "info")
        return redirect(url_for("cart.show"))
    if not form.validate_on_submit():
        return render_template("checkout/checkout.html", form=form, totals=priced)
    if form.payment.data == orders.CASH_ON_DELIVERY:
        order = place_cash_order(cart, priced, _customer(form), locale=current_language())
        if order is None:
            flash(_("Your cart changed while you were checking out: please check it and try again."), "info")
            return redirect(url_for("cart.show"))
        return redirect(url_for("checkout.placed", token=order.token), code=303)
    if not rate_limits.take_checkout_slot(cart.id, request.remote_addr):
        # Each press may open a Points order: a script pressing Pay in a loop stops here.
        return render_template("checkout/too_many_attempts.html", totals=priced), 429, {"Retry-After": "60"}

    try:
        order = start_checkout(
            cart,
            priced,
            _customer(form),
            lambda o: external_url_for("checkout.callback", order=o.token),
            locale=current_language(),
        )
    except CheckoutFailed as failure:
        return _checkout_failed(form, priced, failure)
    if not order.checkout_url:
        # A double click: the first press is asking Points right now. Wait on a page, not here.
        return redirect(url_for("checkout.preparing", token=order.token), code=303)
    if not checkout_origin_allowed(order.checkout_url):
        log.warning(
            "The CSP's form-action does not list %s: browsers will not follow the redirect to "
            "Points' checkout. Add it to POINTS_CHECKOUT_ORIGINS.",
            urlsplit(order.checkout_url).netloc,
        )
    # 303: the browser follows with a GET to the Points-hosted page, whatever the phone number.
    return redirect(order.checkout_url, code=303)


def _customer(form: CheckoutForm) -> Customer:
    return Customer(
        name=form.name.data.strip(),
        phone=form.normalized_phone,
        city=form.city.data.strip(),
        address_line=form.address_line.data.strip(),
    )


@bp.get("/checkout/placed/<token>")
def placed(token):
    """A cash-on-delivery order's confirmation: the shop confirmed it, nothing was paid yet."""
    order = _order_by_token(token)
    if not orders.is_cash_on_delivery(order):
        return redirect(url_for("checkout.order_page", token=order.token))
    return render_template("checkout/confirmation.html", order=order)


@bp.get("/checkout/preparing/<token>")
def preparing(token):
    """Where a second press of Pay waits for the first one's checkout_url; it refreshes itself."""
    order = _order_by_token(token)
    retire_unanswered(order)  # the first press's request died before Points answered it
    retired = order.status == orders.CANCELLED and order.status_reason == orders.NO_ANSWER
    if order.status != orders.PENDING_PAYMENT and not retired:
        return redirect(url_for("checkout.order_page", token=order.token), code=303)
    progress = checkout_progress(order)
    if progress == "ready":
        return redirect(order.checkout_url, code=303)
    if retired or progress == "failed":
        form = CheckoutForm(
            data={
                "phone": order.phone,
                "name": order.customer_name,
                "city": order.city,
                "address_line": order.address_line,
            }
        )
        return render_template(
            "checkout/start_failed.html",
            reason=_("Points did not answer in time.") if retired else _("Points could not start the payment."),
            form=form,
            totals=carts.totals(current_cart()),
            order=order,
            retired=retired,
        ), 502
    return render_template(
        "checkout/preparing.html",
        order=order,
        refresh_seconds=PREPARING_REFRESH_SECONDS,
        refresh_url=url_for("checkout.preparing", token=order.token),
    )


def _checkout_failed(form, priced, failure: CheckoutFailed):
    error = failure.error
    if error.kind == "validation" and "phone_number" in error.errors:
        form.phone.errors.append(
            _("Points did not accept this mobile number: %(reason)s", reason=error.errors["phone_number"][0])
        )
        return render_template("checkout/checkout.html", form=form, totals=priced)
    reason = FRIENDLY_ERRORS.get(error.kind) or _("Points could not start the payment.")
    return render_template(
        "checkout/start_failed.html",
        reason=reason,
        form=form,
        totals=priced,
        order=failure.order,
        retired=failure.retired,
    ), 502


@bp.get("/checkout/callback")
def callback():
    order = _order_by_token(request.args.get("order"))
    # Points appends parameters (our sandbox: order_uuid, status). They prove nothing: keep the
    # uuid only as an unverified hint for reconciliation, and never change state from them.
    hint = _uuid_or_none(request.args.get("order_uuid"))
    if hint and not order.points_uuid and order.points_uuid_hint != hint:
        order.points_uuid_hint = hint
        db.session.commit()

    # An order put to review because Points never said a word is not known to be paid either.
    if orders.awaiting_points(order):
        waited = request.args.get("waited", 0, type=int)
        still_quick = waited < WAIT_REFRESHES
        return render_template(
            "checkout/waiting.html",
            order=order,
            still_quick=still_quick,
            refresh_seconds=WAIT_REFRESH_SECONDS if still_quick else SLOW_REFRESH_SECONDS,
            refresh_url=url_for("checkout.callback", order=order.token, waited=waited + 1),
        )
    if order.status == orders.CANCELLED:
        return render_template("checkout/failed.html", order=order)
    if order.status in (orders.REFUNDED, orders.PARTIALLY_REFUNDED):
        return redirect(url_for("checkout.order_page", token=order.token))  # not "payment confirmed"
    return render_template("checkout/confirmation.html", order=order)


@bp.post("/checkout/retry/<token>")
def retry(token):
    """The failure page's "try again": put the order's products back in the cart, and the
    shopper's details back in the checkout form (read from the order, never kept in the cookie)."""
    order = _order_by_token(token)
    if order.status != orders.CANCELLED:
        return redirect(url_for("checkout.order_page", token=order.token))
    ids = [line.product_id for line in order.lines if line.product_id]
    products = {p.id: p for p in db.session.scalars(sa.select(Product).where(Product.id.in_(ids), Product.on_sale))}
    items = [(products[line.product_id], line.quantity) for line in order.lines if line.product_id in products]
    gone = ", ".join(line.product_name for line in order.lines if line.product_id not in products)
    if not items:
        flash(_("%(products)s is no longer available, so there is nothing to pay for again.", products=gone), "error")
        return redirect(url_for("cart.show"))
    carts.replace_lines(current_cart(create=True), items)
    session[TRY_AGAIN_KEY] = order.token
    if gone:
        flash(_("%(products)s is no longer available and was left out.", products=gone), "error")
    flash(_("Your cart and details are back as they were. You can try paying again."), "success")
    return redirect(url_for("checkout.show"))


@bp.get("/orders/<token>")
def order_page(token):
    """The shopper's order, following it as it moves (static/js/live.js; without JavaScript the page
    reloads itself every few seconds instead)."""
    version = order_version(Order.token == token)
    if version is None:
        _order_by_token(token)  # 404
    return live_page(
        (*version, current_language()),
        lambda **live: render_template(
            "checkout/order.html", order=_order_by_token(token), refresh_seconds=SLOW_REFRESH_SECONDS, **live
        ),
    )


def _details_to_try_again() -> dict | None:
    """The contact and delivery details of the order the shopper pressed "try again" on."""
    token = session.get(TRY_AGAIN_KEY)
    order = db.session.scalar(sa.select(Order).where(Order.token == token)) if token else None
    if order is None:
        return None
    return {
        "phone": display_phone(order.phone),
        "name": order.customer_name,
        "city": order.city,
        "address_line": order.address_line,
    }


def _uuid_or_none(text) -> str | None:
    """Only a well-formed UUID may later go into a Points API path."""
    try:
        return points_uuid(text) if text else None
    except ValueError:
        return None


def _order_by_token(token) -> Order:
    if not token:
        abort(404)
    return db.first_or_404(sa.select(Order).where(Order.token == token), description="We could not find that order.")
