"""Back-office pages: thin views over ``backoffice`` (actions) and ``timeline`` (the story)."""

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models import Order, PointsApiCall, WebhookReceipt
from ..pagination import page_number
from ..points import orders, staff
from ..points.health import account_health, recent_failed_verifications
from ..privacy import mask_phone
from ..timeline import order_timeline, outcome_label, outcome_tone, pretty
from . import bp
from .forms import (
    OUT_OF_DATE,
    AcceptForm,
    CancelForm,
    CashCancelForm,
    CloseUnpaidForm,
    CollectForm,
    LogoutForm,
    PointsUuidForm,
    ReconcileForm,
    RefundExtraEarningForm,
    RefundForm,
    SendEarningForm,
    ShippingForm,
)

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
    return render_template(
        "admin/orders.html",
        page=page,
        counts=counts,
        status=status,
        q=q,
        statuses=orders.STATUSES,
        per_page=per_page,
        health=account_health(),
    )


def _order_or_404(order_number: str) -> Order:
    return db.first_or_404(
        sa.select(Order)
        .where(Order.order_number == order_number)
        .options(selectinload(Order.lines), selectinload(Order.transitions))
    )


@bp.get("/orders/<order_number>")
def order_detail(order_number):
    order = _order_or_404(order_number)
    return render_template(
        "admin/order.html",
        order=order,
        timeline=order_timeline(order),
        forms=_forms_for(order),
        can=_available_actions(order),
        no_word=orders.no_word_from_points(order),
        earning_attempts=_earning_attempts(order),
        earning_state_words=staff.earning_state_words,
    )


def _earning_attempts(order):
    """Each call of the order's earning, newest first (its answer is on the timeline too)."""
    if not orders.is_cash_on_delivery(order):
        return []
    return db.session.scalars(
        sa.select(PointsApiCall)
        .where(PointsApiCall.order_id == order.id, PointsApiCall.path == "/v1/orders/earning")
        .order_by(PointsApiCall.id.desc())
    ).all()


# Each action's form class, by the name its view and the template use.
FORMS = {
    "shipping": ShippingForm,
    "refund": RefundForm,
    "cancel": CancelForm,
    "accept": AcceptForm,
    "reconcile": ReconcileForm,
    "points_uuid": PointsUuidForm,
    "close_unpaid": CloseUnpaidForm,
    "collect": CollectForm,
    "cash_cancel": CashCancelForm,
    "send_earning": SendEarningForm,
    "refund_extra_earning": RefundExtraEarningForm,
}
KEPT_FORM = "admin_kept_form"  # session key: what staff typed into a form that did not go through
KEPT_VALUE_MAX = 600  # a typed value kept for one render is cut here (the cookie is small)
HIDDEN_FIELDS = ("csrf_token", "submission_key")


def _forms_for(order):
    """Every action form, empty, but for one that came back with errors: as staff typed it."""
    forms = {name: cls(formdata=None) for name, cls in FORMS.items()}
    forms["shipping"] = ShippingForm(
        formdata=None,
        status=order.shipping_status or "ready_shipping",
        name_ar=order.shipping_label_ar,
        name_en=order.shipping_label_en,
    )
    kept = session.pop(KEPT_FORM, None)
    if kept and kept.get("order") == order.order_number and kept.get("form") in FORMS:
        form = FORMS[kept["form"]](formdata=MultiDict(kept.get("values", {})))
        for field in form:
            field.errors = list(kept.get("errors", {}).get(field.name, []))
        forms[kept["form"]] = form
    return forms


def _available_actions(order):
    no_word = orders.no_word_from_points(order)
    cash = orders.is_cash_on_delivery(order)
    return {
        # Points accepts a shipping status on approved, captured or partially_refunded (decisions).
        "shipping": order.status in orders.FULFILLABLE and bool(order.points_uuid),
        "cancel": order.status in staff.CANCELLABLE,
        "refund": staff.can_refund(order) and order.refundable_amount > 0,
        "reconcile": staff.can_reconcile(order),
        "accept": order.status == orders.NEEDS_REVIEW and not no_word,
        "points_uuid": no_word,
        "close_unpaid": no_word,
        "collect": cash and order.status == orders.AWAITING_COLLECTION,
        "cash_cancel": cash and order.status == orders.AWAITING_COLLECTION,
        "send_earning": cash and order.earning is not None and order.earning.state == "refused",
        "refund_extra_earning": cash and order.earning is not None and bool(order.earning.extra_uuid),
    }


def _act(order_number, name, action):
    """Run one staff action and answer 303 to the order page, whatever happened (POST/redirect/GET:
    a reload never posts again). The outcome, or Points' message, is flashed; what staff typed
    into a form that did not go through is kept for one render, with its errors."""
    order, form = _order_or_404(order_number), FORMS[name]()
    if not form.validate_on_submit():
        _keep(order, name, form, form.errors)
        typed = [str(m) for field, ms in form.errors.items() if field not in HIDDEN_FIELDS for m in ms]
        flash(_("Check the form: %(problems)s", problems="; ".join(typed)) if typed else str(OUT_OF_DATE), "error")
    else:
        try:
            flash(action(order, form), "success")
        except staff.ActionError as error:
            current_app.logger.info(
                "Back-office %s on %s refused: %s (%s)", name, order.order_number, error.kind, error.message
            )
            if error.kind != "duplicate":
                _keep(order, name, form, error.errors)  # Points' 422 field errors, next to the fields
            flash(error.message, "info" if error.kind == "duplicate" else "error")
    return redirect(url_for("admin.order_detail", order_number=order.order_number), code=303)


def _keep(order, name, form, errors):
    values = {
        field.name: (field.raw_data[0] if field.raw_data else "")[:KEPT_VALUE_MAX]
        for field in form
        if field.name not in HIDDEN_FIELDS
    }
    errors = {
        field: [str(m)[:KEPT_VALUE_MAX] for m in messages][:3]
        for field, messages in errors.items()
        if field in values and isinstance(messages, (list, tuple))
    }
    session[KEPT_FORM] = {"order": order.order_number, "form": name, "values": values, "errors": errors}


@bp.errorhandler(CSRFError)
def form_out_of_date(error):
    """A staff action whose CSRF token no longer matches (e.g. a tab left open across logins)
    lands back on its order page like any refused action; other forms get the usual 400 page."""
    order_number = (request.view_args or {}).get("order_number")
    if request.method == "POST" and order_number:
        flash(str(OUT_OF_DATE), "error")
        return redirect(url_for("admin.order_detail", order_number=order_number), code=303)
    message = _("This form was open too long, or came from another site: reload the page and try again.")
    return render_template("errors/error.html", code=400, title=_("Bad request"), message=message), 400


@bp.post("/orders/<order_number>/shipping")
def set_shipping(order_number):
    return _act(
        order_number,
        "shipping",
        lambda order, form: staff.set_shipping_status(order, form.status.data, form.name_ar.data, form.name_en.data),
    )


@bp.post("/orders/<order_number>/cancel")
def cancel(order_number):
    return _act(
        order_number,
        "cancel",
        lambda order, form: staff.cancel_order(order, form.reason.data, submission_key=form.submission_key.data),
    )


@bp.post("/orders/<order_number>/refund")
def refund(order_number):
    return _act(
        order_number,
        "refund",
        lambda order, form: staff.refund_order(
            order, form.amount.data, form.reason.data, submission_key=form.submission_key.data, staff=g.admin_user
        ),
    )


@bp.post("/orders/<order_number>/collected")
def collected(order_number):
    return _act(order_number, "collect", lambda order, form: staff.mark_collected(order, g.admin_user))


@bp.post("/orders/<order_number>/cash-cancel")
def cash_cancel(order_number):
    return _act(
        order_number, "cash_cancel", lambda order, form: staff.cancel_cash_order(order, form.reason.data, g.admin_user)
    )


@bp.post("/orders/<order_number>/send-earning")
def send_earning(order_number):
    return _act(order_number, "send_earning", lambda order, form: staff.send_earning_again(order))


@bp.post("/orders/<order_number>/refund-extra-earning")
def refund_extra_earning(order_number):
    return _act(
        order_number,
        "refund_extra_earning",
        lambda order, form: staff.refund_extra_earning(
            order, submission_key=form.submission_key.data, staff=g.admin_user
        ),
    )


@bp.post("/orders/<order_number>/accept")
def accept(order_number):
    return _act(
        order_number, "accept", lambda order, form: staff.accept_after_review(order, form.note.data, g.admin_user)
    )


@bp.post("/orders/<order_number>/reconcile")
def reconcile(order_number):
    return _act(order_number, "reconcile", lambda order, form: staff.reconcile_order(order))


@bp.post("/orders/<order_number>/points-uuid")
def settle_with_points_uuid(order_number):
    return _act(
        order_number,
        "points_uuid",
        lambda order, form: staff.settle_with_points_uuid(order, form.points_uuid.data, g.admin_user),
    )


@bp.post("/orders/<order_number>/close-unpaid")
def close_unpaid(order_number):
    return _act(
        order_number,
        "close_unpaid",
        lambda order, form: staff.close_as_unpaid(order, form.reason.data, g.admin_user),
    )


@bp.get("/webhooks")
def webhooks():
    """Deliveries that reached no order of ours (merchant events, other channels' orders, unknown
    order_number, unreadable bodies), the latest merchant event as the account's health, and the
    failed verifications this process has seen (kept in memory only: nothing is stored for them)."""
    outcome = request.args.get("outcome", "")
    query = sa.select(WebhookReceipt).where(WebhookReceipt.order_id.is_(None))
    if outcome:
        query = query.where(WebhookReceipt.outcome == outcome)
    page = db.paginate(
        query.order_by(WebhookReceipt.received_at.desc(), WebhookReceipt.id.desc()),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    counts = dict(
        db.session.execute(
            sa.select(WebhookReceipt.outcome, sa.func.count(WebhookReceipt.id))
            .where(WebhookReceipt.order_id.is_(None))
            .group_by(WebhookReceipt.outcome)
        ).all()
    )
    failed = list(reversed(recent_failed_verifications()))
    return render_template(
        "admin/webhooks.html",
        page=page,
        counts=counts,
        outcome=outcome,
        outcome_label=outcome_label,
        tone=outcome_tone,
        pretty=pretty,
        failed=failed,
        health=account_health(),
    )
