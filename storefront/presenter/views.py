"""The presenter view: the shop in a frame on one side, the order's live timeline on the other.

Which order: the one a scenario made (``?order=<token>``), else the newest of the presenter's own
browser (the order Buy now or a scenario made, or the newest of its cart). The timeline pane is
a fragment the page's script asks for every second with ``If-None-Match``: unchanged, a 304.
"""

import hashlib
import json

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import carts, scenarios
from ..addresses import external_url_for, safe_next
from ..extensions import db
from ..i18n import current_language
from ..models import Order, Product
from ..points import staff
from ..points.checkout import CheckoutFailed, start_checkout
from ..points.health import account_health
from ..session_cart import current_cart
from ..timeline import order_timeline
from . import bp
from .forms import ActionForm, WebhookBodyForm

ORDER_KEY = "presenter_order"  # session: the token of the order the presenter last started
POLL_MS = 1000


def _callback_url(order: Order) -> str:
    return external_url_for("checkout.callback", order=order.token)


@bp.get("/")
def show():
    token = request.args.get("order")
    order = _order_by_token(token) if token else None
    scenario = scenarios.SCENARIOS.get(request.args.get("scenario", ""))
    return render_template(
        "presenter/presenter.html",
        order=order,
        scenario=scenario,
        scenarios=scenarios.SCENARIOS.values(),
        shop_url=safe_next(request.args.get("shop"), url_for("shop.catalogue")),
        poll_url=url_for(".timeline", order=order.token if order else None),
        poll_ms=POLL_MS,
        form=ActionForm(),
    )


@bp.get("/timeline")
def timeline():
    """The right pane: the order's story, as HTML; a 304 while nothing changed."""
    token = request.args.get("order")
    order = _order_by_token(token) if token else _presenters_newest_order()
    entries = order_timeline(order) if order else []
    health = account_health()
    state = json.dumps(
        [
            current_language(),
            order and (order.id, order.status, order.refunded_amount and str(order.refunded_amount)),
            order and order.earning and (order.earning.state, order.earning.total_points),
            [(e.kind, e.id) for e in entries],
            health and health.received_at.isoformat(),
        ],
        default=str,
    )
    etag = hashlib.sha1(state.encode()).hexdigest()
    if etag in request.if_none_match:
        response = make_response("", 304)
    else:
        html = render_template(
            "presenter/_timeline.html",
            order=order,
            timeline=entries,
            health=health,
            can_reconcile=bool(order) and staff.can_reconcile(order),
            earning_state_words=staff.earning_state_words,
            form=ActionForm(),
        )
        response = make_response(html)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/scenarios/<name>")
def run_scenario(name):
    scenario = scenarios.SCENARIOS.get(name)
    if scenario is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        flash(_("This form was open too long: try again."), "error")
        return redirect(url_for(".show"), code=303)
    try:
        order = scenarios.run(name, current_language(), _callback_url)
    except (scenarios.ScenarioFailed, CheckoutFailed, staff.ActionError) as error:
        flash(_("The scenario stopped: %(reason)s", reason=str(error)), "error")
        return redirect(url_for(".show"), code=303)
    session[ORDER_KEY] = order.token
    shop = order.checkout_url if scenario.shop_page == "checkout" else url_for("checkout.order_page", token=order.token)
    return redirect(url_for(".show", order=order.token, scenario=name, shop=shop), code=303)


@bp.post("/buy/<slug>")
def buy_now(slug):
    """The product page's demo-only "Buy now as the test shopper": this product in the cart, the
    checkout as Pay does with the test shopper's details, then Points' hosted page."""
    product = db.first_or_404(sa.select(Product).where(Product.slug == slug))
    if not product.on_sale:
        flash(_("This product is no longer available."), "error")
        return redirect(url_for("shop.product", slug=slug), code=303)
    if not ActionForm().validate_on_submit():
        flash(_("This form was open too long: try again."), "error")
        return redirect(url_for("shop.product", slug=slug), code=303)
    cart = current_cart(create=True)
    carts.add_product(cart, product, 1)
    cart = db.session.get(type(cart), cart.id)
    locale = current_language()
    try:
        order = start_checkout(cart, carts.totals(cart), scenarios.demo_customer(locale), _callback_url, locale=locale)
    except CheckoutFailed:
        flash(_("Points could not start the payment."), "error")
        return redirect(url_for("cart.show"), code=303)
    session[ORDER_KEY] = order.token
    if not order.checkout_url:
        return redirect(url_for("checkout.preparing", token=order.token), code=303)
    return redirect(order.checkout_url, code=303)


@bp.post("/orders/<token>/reconcile")
def reconcile(token):
    order = _order_by_token(token)
    if ActionForm().validate_on_submit():
        try:
            flash(staff.reconcile_order(order), "success")
        except staff.ActionError as error:
            flash(error.message, "error")
    return redirect(url_for(".show", order=order.token, shop=url_for("checkout.order_page", token=token)), code=303)


@bp.route("/orders/<token>/webhook", methods=["GET", "POST"])
def send_webhook(token):
    """Send any webhook body to the shop for this order, through the sandbox's trigger."""
    order = _order_by_token(token)
    form = WebhookBodyForm(formdata=request.form if request.method == "POST" else request.args or None)
    sandbox = scenarios.Sandbox()
    if request.method == "POST" and form.validate_on_submit():
        try:
            # No order_uuid yet (the webhook was lost): the body alone; empty: the trigger's usual body.
            about = {"order_uuid": order.points_uuid} if order.points_uuid else {}
            edited = {"body": form.body.data} if form.body.data else {}
            sandbox.trigger(event=form.event.data, **about, **edited)
        except scenarios.ScenarioFailed as error:
            flash(_("The sandbox refused it: %(reason)s", reason=str(error)), "error")
        else:
            flash(_("Sent: the timeline shows what the shop made of it."), "success")
            return redirect(url_for(".show", order=order.token), code=303)
    elif request.method == "GET" and order.points_uuid and not form.body.data:
        try:
            form.body.data = sandbox.preview(form.event.data, order.points_uuid)["body_indented"]
        except scenarios.ScenarioFailed as error:
            flash(_("The sandbox refused it: %(reason)s", reason=str(error)), "error")
    return render_template("presenter/webhook.html", order=order, form=form)


def _presenters_newest_order() -> Order | None:
    """The newest of: the order this browser last started here, and its cart's newest order."""
    found = []
    if session.get(ORDER_KEY):
        found.append(db.session.scalar(sa.select(Order).where(Order.token == session[ORDER_KEY])))
    cart = current_cart()
    if cart is not None:
        found.append(
            db.session.scalar(sa.select(Order).where(Order.cart_id == cart.id).order_by(Order.id.desc()).limit(1))
        )
    found = [o for o in found if o is not None]
    return max(found, key=lambda o: o.id) if found else None


def _order_by_token(token) -> Order:
    return db.first_or_404(sa.select(Order).where(Order.token == token))
