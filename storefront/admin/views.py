"""Back-office pages: thin views over ``backoffice`` (actions) and ``timeline`` (the story)."""

import re

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..browser_cache import live_page
from ..extensions import db
from ..i18n import current_language
from ..models import Order, PointsApiCall, PointsEarning, WebhookReceipt, utcnow
from ..pagination import COUNT_CAP, KeysetPage, capped_counts, keyset_page
from ..points import health, orders, staff
from ..points.health import account_health
from ..points.orders import Outcome
from ..privacy import mask_phone
from ..recorded import shown
from ..timeline import order_timeline, order_version, outcome_label, outcome_tone, pretty, stamp
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


@bp.app_template_filter("recorded")
def recorded_words(text):
    return shown(text)


@bp.app_template_test("checkout_failed")
def checkout_failed(order):
    return staff.checkout_failed(order)


@bp.get("/")
def index():
    return redirect(url_for("admin.orders"))


SEARCH_LIMIT = 25  # matches shown for a search: type more of the number to narrow it
FIRST_ORDER_YEAR = 2024  # order numbers are PTS-YYYY-NNNNNN; a bare number is looked for in each year


def order_search(query, q: str) -> list[Order]:
    """The first SEARCH_LIMIT orders of ``query`` whose order_number or Points reference is ``q``,
    or starts with it, case aside, newest number first; a bare number is the NNNNNN of any year's
    order number. One query per column, each a range of that column's index (an OR of them, sorted,
    lets PostgreSQL walk the whole order_number index instead)."""
    text = q.strip().upper()
    if text.isdigit() and len(text) <= 6:
        years = range(FIRST_ORDER_YEAR, utcnow().year + 2)
        conditions = [(Order.order_number, Order.order_number.in_([f"PTS-{y}-{text.zfill(6)}" for y in years]))]
    else:
        conditions = [
            (column, sa.or_(column.in_({q.strip(), text}), starts_with(column, text)))
            for column in (Order.order_number, Order.points_reference_number)
        ]
    found = {}
    for column, condition in conditions:
        for order in db.session.scalars(query.where(condition).order_by(column.desc()).limit(SEARCH_LIMIT)):
            found[order.id] = order
    return sorted(found.values(), key=lambda o: o.order_number, reverse=True)[:SEARCH_LIMIT]


def starts_with(column, prefix: str):
    """``column`` starts with ``prefix``, as each database can read it off a plain index: SQLite's
    GLOB (case-sensitive, so its BINARY index serves it), PostgreSQL's LIKE (the pattern_ops index)."""
    if db.engine.dialect.name == "sqlite":
        return column.op("GLOB")(re.sub(r"([\[\]*?])", r"[\1]", prefix) + "*")
    return column.like(prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", escape="\\")


def recent_order_filter(args, since):
    """The orders behind a figure of the health page: a call in one bucket, or a webhook with one
    outcome, within the last hour; or waiting for reconciliation."""
    # The ids first, off the time index (at most COUNT_CAP of them), then the orders by id: a
    # subquery would let the planner walk the orders' list index probing it row by row.
    if args.get("call") in health.CALL_BUCKETS:
        calls = sa.select(PointsApiCall.order_id).where(
            PointsApiCall.created_at >= since,
            health.call_bucket_clause(args["call"]),
            PointsApiCall.order_id.is_not(None),
        )
        return Order.id.in_(db.session.scalars(calls.limit(COUNT_CAP)).all())
    if args.get("webhook"):
        receipts = sa.select(WebhookReceipt.order_id).where(
            WebhookReceipt.received_at >= since,
            WebhookReceipt.outcome == args["webhook"],
            WebhookReceipt.order_id.is_not(None),
        )
        return Order.id.in_(db.session.scalars(receipts.limit(COUNT_CAP)).all())
    if args.get("earning") in health.EARNING_BACKLOG:
        earnings = sa.select(PointsEarning.order_id).where(
            PointsEarning.state.in_(health.EARNING_BACKLOG[args["earning"]])
        )
        return Order.id.in_(db.session.scalars(earnings.limit(COUNT_CAP)).all())
    if args.get("waiting"):
        return sa.and_(Order.status.in_(orders.AWAITING_POINTS), Order.created_at < utcnow() - health.STALE_AFTER)
    return None


def _live(version, render):
    """The page as browser_cache.live_page serves it, in this language, for this staff member."""
    return live_page((*version, current_language(), g.admin_user.id), render)


def _orders_version():
    """The newest change to any order, the newest order and the newest webhook (the account health
    card and the counts by status depend on all of them, whatever the filter). Orders are never
    deleted, so the newest id stands for their number; each part is one probe of an index. (An
    order whose transaction commits after a newer one's, on PostgreSQL, shows at the list's next
    change; a Pay press's order changes again when Points answers.)"""
    newest, last_order, receipt = db.session.execute(
        sa.select(
            sa.select(sa.func.max(Order.updated_at)).scalar_subquery(),
            sa.select(sa.func.max(Order.id)).scalar_subquery(),
            sa.select(sa.func.max(WebhookReceipt.id)).scalar_subquery(),
        )
    ).one()
    return stamp(newest), last_order or 0, receipt or 0


@bp.get("/orders", endpoint="orders")
def orders_list():
    return _live(_orders_version(), _render_orders_list)


def _render_orders_list(**live):
    status = request.args.get("status", "")
    q = request.args.get("q", "").strip()[:64]
    per_page = min(max(request.args.get("per_page", PER_PAGE, type=int), 1), 100)
    query = sa.select(Order)
    if status in orders.STATUSES:
        query = query.where(Order.status == status)
    behind = recent_order_filter(request.args, utcnow() - health.HEALTH_WINDOW)
    if behind is not None:
        query = query.where(behind)
    if q:
        # A search shows its first matches, newest number first: no pages to walk.
        page = KeysetPage(order_search(query, q), None, None)
    else:
        page = keyset_page(
            query,
            Order,
            Order.created_at,
            per_page,
            older=request.args.get("older", type=int),
            newer=request.args.get("newer", type=int),
        )
    every = sa.select(Order.id)
    counts = capped_counts({"": every, **{s: every.where(Order.status == s) for s in orders.STATUSES}}, COUNT_CAP)
    total = counts.pop("")
    return render_template(
        "admin/orders.html",
        page=page,
        counts=counts,
        total=total,
        count_cap=COUNT_CAP,
        status=status,
        q=q,
        statuses=orders.STATUSES,
        per_page=per_page,
        health=account_health(),
        search_limit=SEARCH_LIMIT if q else None,
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
        earning_attempts=_earning_attempts(order),
        earning_state_words=staff.earning_state_words,
        live_poll=live_poll,
        **live,
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
    refused deliveries (401), counted per hour and source by every worker (health.py)."""
    outcome = request.args.get("outcome", "")
    query = sa.select(WebhookReceipt).where(WebhookReceipt.order_id.is_(None))
    if outcome:
        query = query.where(WebhookReceipt.outcome == outcome)
    page = keyset_page(
        query,
        WebhookReceipt,
        WebhookReceipt.received_at,
        PER_PAGE,
        older=request.args.get("older", type=int),
        newer=request.args.get("newer", type=int),
    )
    unmatched = sa.select(WebhookReceipt.id).where(WebhookReceipt.order_id.is_(None))
    counts = capped_counts(
        {"": unmatched, **{o: unmatched.where(WebhookReceipt.outcome == o) for o in UNMATCHED_OUTCOMES}}, COUNT_CAP
    )
    total = counts.pop("")
    return render_template(
        "admin/webhooks.html",
        page=page,
        counts={o: n for o, n in counts.items() if n},
        total=total,
        count_cap=COUNT_CAP,
        outcome=outcome,
        outcome_label=outcome_label,
        tone=outcome_tone,
        pretty=pretty,
        failed=health.recent_failed_verifications(),
        health=account_health(),
    )


# What a delivery about no order of ours can have become (webhook.py), for the filter's counts.
UNMATCHED_OUTCOMES = (
    Outcome.MERCHANT_EVENT,
    Outcome.NOT_OURS,
    Outcome.UNKNOWN_ORDER,
    Outcome.UNKNOWN_EVENT,
    Outcome.MALFORMED,
)


@bp.get("/health")
def health_page():
    """What on-call looks at first: the last hour of calls to Points and of webhooks, the orders
    waiting for someone, the merchant account's news. Every figure links to what is behind it."""
    return render_template(
        "admin/health.html",
        summary=health.health_summary(),
        buckets=health.CALL_BUCKETS,
        count_cap=COUNT_CAP,
        outcome_label=outcome_label,
        tone=outcome_tone,
        health=account_health(),
    )
