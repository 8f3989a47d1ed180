"""Back-office pages: thin views over ``backoffice`` (actions) and ``timeline`` (the story)."""
import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload

from .. import backoffice, orders
from ..extensions import db
from ..models import Order, WebhookReceipt
from ..privacy import mask_phone
from ..security import page_number
from . import bp
from .forms import AcceptForm, CancelForm, LogoutForm, ReconcileForm, RefundForm, ShippingForm
from ..webhooks.handler import recent_failed_verifications
from .timeline import OUTCOME_LABELS, order_timeline, outcome_tone, pretty

PER_PAGE = 25


@bp.app_template_global()
def admin_logout_form():
    return LogoutForm()


@bp.app_template_filter("masked_phone")
def masked_phone(phone):
    return mask_phone(phone)


@bp.get("/")
def index():
    return redirect(url_for("admin.orders"))


@bp.get("/orders", endpoint="orders")
def orders_list():
    status = request.args.get("status", "")
    q = request.args.get("q", "").strip()
    query = sa.select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if status in orders.STATUSES:
        query = query.where(Order.status == status)
    if q:
        query = query.where(sa.or_(Order.order_number.ilike(f"%{q}%"), Order.points_reference_number.ilike(f"%{q}%")))
    per_page = min(max(request.args.get("per_page", PER_PAGE, type=int), 1), 100)
    page = db.paginate(query, page=page_number(), per_page=per_page, max_per_page=100, error_out=False)
    counts = dict(db.session.execute(sa.select(Order.status, sa.func.count(Order.id)).group_by(Order.status)).all())
    return render_template("admin/orders.html", page=page, counts=counts, status=status, q=q,
                           statuses=orders.STATUSES, per_page=per_page)


def _order_or_404(order_number: str) -> Order:
    return db.first_or_404(
        sa.select(Order).where(Order.order_number == order_number)
        .options(selectinload(Order.lines), selectinload(Order.transitions))
    )


@bp.get("/orders/<order_number>")
def order_detail(order_number):
    order = _order_or_404(order_number)
    shipping = ShippingForm(status=order.shipping_status or "ready_shipping",
                            name_ar=order.shipping_label_ar, name_en=order.shipping_label_en)
    return _render_order(order, shipping=shipping)


def _render_order(order, *, shipping=None, cancel=None, refund=None, accept=None, status=200):
    return render_template(
        "admin/order.html",
        order=order,
        timeline=order_timeline(order),
        shipping_form=shipping or ShippingForm(status=order.shipping_status or "ready_shipping"),
        cancel_form=cancel or CancelForm(formdata=None),
        refund_form=refund or RefundForm(formdata=None),
        reconcile_form=ReconcileForm(formdata=None),
        accept_form=accept or AcceptForm(formdata=None),
        can=_available_actions(order),
    ), status


def _available_actions(order):
    return {
        "shipping": order.status in orders.FULFILLABLE and bool(order.points_uuid),
        "cancel": order.status in backoffice.CANCELLABLE,
        "refund": order.status in backoffice.REFUNDABLE and order.refundable_amount > 0,
        "reconcile": order.status in backoffice.RECONCILABLE,
        "accept": order.status == orders.NEEDS_REVIEW,
    }


def _act(order, form, name, action):
    """Run one action; on success flash and redirect, on refusal re-render with the message."""
    if not form.validate_on_submit():
        flash("Check the form: " + "; ".join(m for ms in form.errors.values() for m in ms), "error")
        return _render_order(order, **{name: form}, status=400)
    try:
        message = action()
    except backoffice.ActionError as error:
        current_app.logger.info("Back-office %s on %s refused: %s (%s)", name, order.order_number, error.kind, error.message)
        flash(error.message, "error")
        return _render_order(order, **{name: form}, status=409 if error.kind == "refused" else 502)
    flash(message, "success")
    return redirect(url_for("admin.order_detail", order_number=order.order_number))


@bp.post("/orders/<order_number>/shipping")
def set_shipping(order_number):
    order, form = _order_or_404(order_number), ShippingForm()
    return _act(order, form, "shipping", lambda: backoffice.set_shipping_status(
        order, form.status.data, form.name_ar.data, form.name_en.data))


@bp.post("/orders/<order_number>/cancel")
def cancel(order_number):
    order, form = _order_or_404(order_number), CancelForm()
    return _act(order, form, "cancel", lambda: backoffice.cancel_order(order, form.reason.data))


@bp.post("/orders/<order_number>/refund")
def refund(order_number):
    order, form = _order_or_404(order_number), RefundForm()
    return _act(order, form, "refund", lambda: backoffice.refund_order(order, form.amount.data, form.reason.data))


@bp.post("/orders/<order_number>/accept")
def accept(order_number):
    order, form = _order_or_404(order_number), AcceptForm()
    return _act(order, form, "accept", lambda: backoffice.accept_after_review(order, form.note.data))


@bp.post("/orders/<order_number>/reconcile")
def reconcile(order_number):
    order, form = _order_or_404(order_number), ReconcileForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.order_detail", order_number=order.order_number))
    try:
        flash(backoffice.reconcile_order(order), "success")
    except backoffice.ActionError as error:
        flash(error.message, "error")
    return redirect(url_for("admin.order_detail", order_number=order.order_number))


@bp.get("/webhooks")
def webhooks():
    """Deliveries that reached no order (unknown order_number, malformed body), and the failed
    verifications this process has seen (kept in memory only: nothing is stored for them)."""
    outcome = request.args.get("outcome", "")
    query = sa.select(WebhookReceipt).where(WebhookReceipt.order_id.is_(None))
    if outcome:
        query = query.where(WebhookReceipt.outcome == outcome)
    page = db.paginate(query.order_by(WebhookReceipt.received_at.desc(), WebhookReceipt.id.desc()),
                       page=page_number(), per_page=PER_PAGE, error_out=False)
    counts = dict(db.session.execute(
        sa.select(WebhookReceipt.outcome, sa.func.count(WebhookReceipt.id))
        .where(WebhookReceipt.order_id.is_(None)).group_by(WebhookReceipt.outcome)).all())
    failed = list(reversed(recent_failed_verifications()))
    return render_template("admin/webhooks.html", page=page, counts=counts, outcome=outcome,
                           labels=OUTCOME_LABELS, tone=outcome_tone, pretty=pretty, failed=failed)
