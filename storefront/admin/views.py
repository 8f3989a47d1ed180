"""Back-office pages: thin views over ``backoffice`` (actions) and ``timeline`` (the story)."""

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..browser_cache import live_page
from ..extensions import db
from ..i18n import current_language
from ..models import Order, WebhookReceipt
from ..pagination import page_number
from ..points import orders, staff
from ..points.health import account_health, recent_failed_verifications
from ..privacy import mask_phone
from ..recorded import shown
from ..timeline import order_timeline, order_version, outcome_label, outcome_tone, pretty, stamp
from . import bp
from .forms import (
    OUT_OF_DATE,
    AcceptForm,
    CancelForm,
    CloseUnpaidForm,
    LogoutForm,
    PointsUuidForm,
    ReconcileForm,
    RefundForm,
    ShippingForm,
)

PER_PAGE = 25


@bp.app_template_global()
def admin_logout_form():
    return LogoutForm()


@bp.app_template_filter("masked_phone")
def masked_phone(phone):
    return mask_phone(phone)


@bp.app_template_filter("recorded")
def recorded_words(text):
    return shown(text)


@bp.app_template_test("checkout_failed")
def checkout_failed(order):
    return staff.checkout_failed(order)


@bp.get("/")
def index():
    return redirect(url_for("admin.orders"))


def _live(version, render):
    """The page as browser_cache.live_page serves it, in this language, for this staff member."""
    return live_page((*version, current_language(), g.admin_user.id), render)


def _orders_version():
    """The newest change to any order, how many there are, and the newest webhook (the account
    health card and the counts by status depend on all of them, whatever the filter)."""
    newest, count, receipt = db.session.execute(
        sa.select(
            sa.func.max(Order.updated_at),
            sa.func.count(Order.id),
            sa.select(sa.func.max(WebhookReceipt.id)).scalar_subquery(),
        )
    ).one()
    return stamp(newest), count, receipt or 0


@bp.get("/orders", endpoint="orders")
def orders_list():
    return _live(_orders_version(), _render_orders_list)


def _render_orders_list(**live):
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
        **live,
    )


def _order_or_404(order_number: str) -> Order:
    return db.first_or_404(
        sa.select(Order)
        .where(Order.order_number == order_number)
        .options(selectinload(Order.lines), selectinload(Order.transitions))
    )


@bp.get("/orders/<order_number>")
def order_detail(order_number):
    version = order_version(Order.order_number == order_number)
    if version is None:
        _order_or_404(order_number)
    return _live(version, lambda **live: _render_order(order_number, **live))


def _render_order(order_number, *, live_poll, **live):
    order = _order_or_404(order_number)
    can, not_offered = staff.offered_actions(order)
    return render_template(
        "admin/order.html",
        order=order,
        timeline=order_timeline(order),
        # A poll leaves what staff typed into a refused form for the next navigation (it is not
        # swapped into a form anyway).
        forms=_forms_for(order, keep=not live_poll),
        can=can,
        not_offered=not_offered,
        no_word=orders.no_word_from_points(order),
        live_poll=live_poll,
        **live,
    )


# Each action's form class, by the name its view and the template use.
FORMS = {
    "shipping": ShippingForm,
    "refund": RefundForm,
    "cancel": CancelForm,
    "accept": AcceptForm,
    "reconcile": ReconcileForm,
    "points_uuid": PointsUuidForm,
    "close_unpaid": CloseUnpaidForm,
}
KEPT_FORM = "admin_kept_form"  # session key: what staff typed into a form that did not go through
KEPT_VALUE_MAX = 600  # a typed value kept for one render is cut here (the cookie is small)
HIDDEN_FIELDS = ("csrf_token", "submission_key")


def _forms_for(order, keep=True):
    """Every action form, empty, but for one that came back with errors: as staff typed it."""
    forms = {name: cls(formdata=None) for name, cls in FORMS.items()}
    forms["shipping"] = ShippingForm(
        formdata=None,
        status=order.shipping_status or "ready_shipping",
        name_ar=order.shipping_label_ar,
        name_en=order.shipping_label_en,
    )
    kept = session.pop(KEPT_FORM, None) if keep else None
    if kept and kept.get("order") == order.order_number and kept.get("form") in FORMS:
        form = FORMS[kept["form"]](formdata=MultiDict(kept.get("values", {})))
        for field in form:
            field.errors = list(kept.get("errors", {}).get(field.name, []))
        forms[kept["form"]] = form
    return forms


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
            order, form.amount.data, form.reason.data, submission_key=form.submission_key.data
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
