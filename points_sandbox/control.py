"""Sandbox-only controls for demos and tests, at /_control: the delivery log, the switches,
a whole shopper in one call, triggering and resending webhooks, reset. Nothing here exists on
the real Points service.

Every setting is validated before anything changes: bad input is a 422 with `errors` (field ->
messages) on the JSON API and a 400 re-rendering the page with the message next to the field.
"""

from __future__ import annotations

import json
import time
from datetime import timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, get_flashed_messages, jsonify, redirect, render_template, request, url_for

from . import chaos as chaos_switches
from . import checkout, delivery, earning, orders, seed, webhooks
from .checkout import CheckoutError
from .extensions import csrf, db
from .i18n import translate, translate_message
from .models import CheckoutSession, Delivery, DeliveryAttempt, Merchant, Order, OrderItem, Shopper, utcnow
from .orders import IllegalMove
from .validation import ValidationFailed, Validator
from .webhooks import MERCHANT_EVENTS, ORDER_EVENTS, iso

bp = Blueprint("control", __name__, url_prefix="/_control")

FLASH = "control"  # the flash category of this page (the hosted pages use "error")
MAX_DELAY_SECONDS = 3600
MAX_COUNT = 1000
MAX_WINDOW_DAYS = 3650
MAX_POINTS_PER_SAR = 1000
# What reset puts back on the merchant.
MERCHANT_DEFAULTS = {"two_step": False, "refund_window_days": None, "earn_points_per_sar": 10, "earning_enabled": True}
# Merchant events: the balance figures sent unless the trigger body overrides them.
MERCHANT_EVENT_DATA = {
    "low_balance_warning": {
        "current_balance": "1500.00",
        "order_points": "200.00",
        "balance_after_order": "1300.00",
        "max_debt_allowed": "5000.00",
    },
    "debt_exceeded": {
        "current_balance": "-4900.00",
        "order_points": "200.00",
        "balance_after_order": "-5100.00",
        "max_debt_allowed": "5000.00",
    },
}
TRUE_WORDS, FALSE_WORDS = {"1", "true", "on", "yes"}, {"0", "false", "off", "no", ""}
MAX_BODY_BYTES = 64 * 1024  # an edited webhook body, in UTF-8 bytes
RIYADH = ZoneInfo("Asia/Riyadh")  # the delivery log's clock (UTC+3, no daylight saving)


def _t(key: str, **params) -> str:
    return translate(g.lang, key, **params)


@bp.app_template_filter("riyadh")
def riyadh_time(moment, fmt: str = "%H:%M:%S") -> str:
    """A naive UTC time of the sandbox's bookkeeping on Riyadh's 24-hour clock."""
    return moment.replace(tzinfo=timezone.utc).astimezone(RIYADH).strftime(fmt) if moment else ""


class Invalid(Exception):
    """Field errors of a control call: 422 JSON, or the page again with 400."""

    def __init__(self, errors: dict[str, list[str]], form: str):
        super().__init__("invalid")
        self.errors, self.form = errors, form

    @property
    def message(self) -> str:
        return ValidationFailed(self.errors).message  # Laravel's "(and N more errors)"


def _json_error(message: str, status: int, errors: dict | None = None):
    body = {"status": False, "message": message, "appended_data": {}}
    if errors is not None:
        body["errors"] = errors
    return jsonify(body), status


def _submitted() -> dict:
    """The body of a control call: JSON, or the dashboard's form (CSRF-checked)."""
    if request.is_json:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}
    csrf.protect()
    return request.form.to_dict()


def _boolean(v: Validator, name: str, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    v.fail(name, f"The {name.replace('_', ' ')} field must be true or false.")
    return None


def _clean_switches(data: dict) -> dict:
    """The switches present in `data`, validated; raises Invalid and changes nothing."""
    v = Validator(data)
    clean = {}
    for name, (kind, _default) in chaos_switches.SWITCHES.items():
        if name not in data:
            continue
        value = data[name]
        if kind is bool:
            value = _boolean(v, name, value)
        elif name.endswith("_fail_status"):
            value = None if value in (None, "") else v.choice(name, {"429", "500"}, str(value))
            value = int(value) if value else None
        elif kind is float:
            number = v.number(name, value, minimum=0, maximum=MAX_DELAY_SECONDS)
            value = float(number) if number is not None else (0.0 if v._blank(value) else None)
        else:
            number = v.integer(name, value, minimum=0, maximum=MAX_COUNT)
            value = number if number is not None else (0 if v._blank(value) else None)
        if name not in v.errors:
            clean[name] = value
    if v.errors:
        raise Invalid(v.errors, "chaos")
    return clean


def _clean_merchant(data: dict) -> dict:
    v = Validator(data)
    clean = {}
    if "two_step" in data:
        clean["two_step"] = _boolean(v, "two_step", data["two_step"])
    if "refund_window_days" in data:
        # Empty or null: no window (off).
        clean["refund_window_days"] = v.integer(
            "refund_window_days", data["refund_window_days"], minimum=0, maximum=MAX_WINDOW_DAYS
        )
    if "earning_enabled" in data:
        clean["earning_enabled"] = _boolean(v, "earning_enabled", data["earning_enabled"])
    if "earn_points_per_sar" in data:
        rate = v.number("earn_points_per_sar", data["earn_points_per_sar"], required=True, minimum=0)
        if rate is not None and rate > MAX_POINTS_PER_SAR:
            v.fail("earn_points_per_sar", f"The earn points per sar must not be greater than {MAX_POINTS_PER_SAR}.")
        clean["earn_points_per_sar"] = rate
    if v.errors:
        raise Invalid(v.errors, "merchant")
    return clean


def _the_merchant() -> Merchant:
    return db.session.scalar(sa.select(Merchant).order_by(Merchant.id))


def _merchant_json(merchant: Merchant) -> dict:
    return {
        "two_step": merchant.two_step,
        "refund_window_days": merchant.refund_window_days,
        "earn_points_per_sar": float(merchant.earn_points_per_sar),
        "earning_enabled": merchant.earning_enabled,
    }


def _delivery_json(d: Delivery) -> dict:
    return {
        "id": d.id,
        "event": d.event,
        "order_uuid": d.order.uuid if d.order else None,
        "order_number": d.order.order_number if d.order else None,
        "webhook_uuid": d.webhook.uuid if d.webhook else None,
        "status": d.status,
        "note": d.note,
        "created_at": iso(d.created_at),
        "next_attempt_at": iso(d.next_attempt_at),
        "payload": d.payload,
        "attempts": [
            {
                "number": a.number,
                "url": a.url,
                "at": iso(a.started_at),
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in d.attempts
        ],
    }


def _recent_deliveries(limit: int = 200):
    query = sa.select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if request.args.get("order_number"):
        query = query.join(Order).where(Order.order_number == request.args["order_number"])
    if request.args.get("event"):
        query = query.where(Delivery.event == request.args["event"])
    return db.session.scalars(query).all()


# --- The page ---------------------------------------------------------------------------------


def _dashboard(
    status: int = 200, invalid: Invalid | None = None, submitted: dict | None = None, prepared: dict | None = None
):
    """The page; `prepared` fills the trigger form (event, order uuid, body) after "Prepare body"."""
    sessions = db.session.scalars(
        sa.select(CheckoutSession).order_by(CheckoutSession.created_at.desc()).limit(20)
    ).all()
    shoppers = db.session.scalars(sa.select(Shopper).order_by(Shopper.phone)).all()
    recent_orders = db.session.scalars(sa.select(Order).order_by(Order.id.desc()).limit(20)).all()
    earning_orders = db.session.scalars(
        sa.select(Order).where(Order.type == earning.EARNING).order_by(Order.id.desc()).limit(50)
    ).all()
    active = set(db.session.scalars(sa.select(Shopper.phone)))
    pending_phones = sorted({o.phone_number for o in earning_orders if o.pending_activation} - active)
    errors = {
        field: [translate_message(g.lang, message, field) for message in messages]
        for field, messages in (invalid.errors if invalid else {}).items()
    }
    # A rejected form shows what was typed, next to its message; the rest shows what is saved.
    saved = {**chaos_switches.as_json(), **_merchant_json(_the_merchant())}
    for name in (
        "webhook_delay_seconds",
        "checkout_delay_seconds",
        "earning_hang_seconds",
        "earning_delay_seconds",
        "earn_points_per_sar",
    ):
        saved[name] = f"{saved[name]:g}"  # 2, not 2.0
    shown = {**saved, **(submitted if invalid else {}), **(prepared or {})}
    return render_template(
        "sandbox/control.html",
        chaos=chaos_switches.as_json(),
        merchant=_the_merchant(),
        shown=shown,
        errors=errors,
        failed_form=invalid.form if invalid else ("trigger" if prepared else None),
        messages=get_flashed_messages(with_categories=True, category_filter=[FLASH, FLASH + "-error"]),
        deliveries=_recent_deliveries(),
        sessions=sessions,
        shoppers=shoppers,
        recent_orders=recent_orders,
        earning_orders=earning_orders,
        pending_phones=pending_phones,
        total_points=orders.total_points,
        order_events=ORDER_EVENTS,
        merchant_events=MERCHANT_EVENTS,
        step=checkout.step,
        note=lambda text: translate_message(g.lang, text),
        max_body_kb=MAX_BODY_BYTES // 1024,
    ), status


@bp.get("/")
def dashboard():
    return _dashboard()


def _invalid_answer(invalid: Invalid, submitted: dict):
    db.session.rollback()
    if request.is_json:
        return _json_error(invalid.message, 422, invalid.errors)
    return _dashboard(400, invalid, submitted)


def _done(message: str):
    """A form post that worked: say what it did on the page it returns to."""
    flash(message, FLASH)
    return redirect(url_for("control.dashboard"), code=303)


# --- Switches and merchant settings -----------------------------------------------------------


def _shown(value) -> str:
    if value is None or value is False:
        return _t("c_off")
    if value is True:
        return _t("c_on")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe(values: dict) -> str:
    if g.lang == "ar":  # the fields' labels: «تأخير الويب هوك (ثوانٍ)» 0، …
        return "، ".join(f"«{_t(name)}» {_shown(value)}" for name, value in values.items())
    return ", ".join(f"{name} {_shown(value)}" for name, value in values.items())


@bp.route("/chaos", methods=["GET", "POST"])
@csrf.exempt
def chaos():
    if request.method == "GET":
        return jsonify(chaos_switches.as_json())
    data = _submitted()
    if not request.is_json:
        for name, (kind, _) in chaos_switches.SWITCHES.items():  # unticked checkboxes are absent
            if kind is bool:
                data[name] = name in request.form
    try:
        clean = _clean_switches(data)
    except Invalid as invalid:
        return _invalid_answer(invalid, data)
    switches = chaos_switches.switches()
    for name, value in clean.items():
        setattr(switches, name, value)
    if not switches.webhook_reverse:
        webhooks.release_all_held()
    db.session.commit()
    webhooks.notify()
    if not request.is_json:
        return _done(_t("c_saved_switches", values=_describe(chaos_switches.as_json())))
    return jsonify(chaos_switches.as_json())


@bp.post("/merchant")
@csrf.exempt
def merchant_settings():
    """`{"two_step": true, "refund_window_days": 14}` (null or "" = no refund window)."""
    data = _submitted()
    if not request.is_json:
        data["two_step"] = "two_step" in request.form
        data["earning_enabled"] = "earning_enabled" in request.form
    try:
        clean = _clean_merchant(data)
    except Invalid as invalid:
        return _invalid_answer(invalid, data)
    merchant = _the_merchant()
    for name, value in clean.items():
        setattr(merchant, name, value)
    db.session.commit()
    if not request.is_json:
        return _done(_t("c_saved_merchant", values=_describe(_merchant_json(merchant))))
    return jsonify(_merchant_json(merchant))


# --- Reset --------------------------------------------------------------------------------------


@bp.get("/reset")
def reset_confirmation():
    """The dashboard's Reset leads here: a second page to confirm (no JavaScript needed)."""
    return render_template("sandbox/control_reset.html")


@bp.post("/reset")
@csrf.exempt
def reset():
    """Switches to their defaults, one-step merchant without refund window, every order, session
    and delivery gone, the test shoppers as seeded. Merchants and registered webhooks stay.

    A JSON (or empty) POST resets at once (test helpers); the page's form must carry
    `confirm=yes`, which only the confirmation page sends."""
    from_page = bool(request.form)
    if from_page:
        csrf.protect()
        if request.form.get("confirm") != "yes":
            return render_template("sandbox/control_reset.html"), 400
    for model in (DeliveryAttempt, Delivery, CheckoutSession, OrderItem, Order, Shopper):
        db.session.execute(sa.delete(model))
    chaos_switches.reset()
    db.session.execute(sa.update(Merchant).values(**MERCHANT_DEFAULTS, earning_lock=None, earning_lock_until=None))
    db.session.commit()
    seed.seed_chaos()
    seed.seed_shoppers()
    if from_page:
        return _done(_t("c_reset_done"))
    return jsonify({"reset": True})


def _balances_json() -> dict:
    found = db.session.scalars(sa.select(Shopper).where(Shopper.phone.in_(seed.TEST_SHOPPERS))).all()
    return {"shoppers": [{"phone_number": s.phone, "balance": s.balance} for s in sorted(found, key=lambda s: s.phone)]}


@bp.get("/shoppers/reset")
def balances_confirmation():
    """The dashboard's "Reset balances" leads here: a second page to confirm."""
    return render_template("sandbox/control_reset.html", what="balances")


@bp.post("/shoppers/reset")
@csrf.exempt
def reset_balances():
    """The test shoppers' balances as seeded (500000001: 5,000 points, 500000002: 0), and
    nothing else: orders, sessions, deliveries, switches and merchant settings stay. A JSON (or
    empty) POST resets at once; the page's form must carry `confirm=yes`, as Reset's does."""
    from_page = bool(request.form)
    if from_page:
        csrf.protect()
        if request.form.get("confirm") != "yes":
            return render_template("sandbox/control_reset.html", what="balances"), 400
    seed.seed_shoppers()
    if from_page:
        return _done(_t("c_balances_done"))
    return jsonify({"reset": "balances", **_balances_json()})


# --- Deliveries: the log, flush, trigger, resend ------------------------------------------------


@bp.get("/deliveries")
def deliveries():
    """The delivery log. `?wait=1` first waits (up to `timeout` s, default 10) for the outbox to
    drain: every delivery delivered, failed or dropped (held ones excepted)."""
    drained = True
    if request.args.get("wait") in ("1", "true"):
        try:
            timeout = min(float(request.args.get("timeout", 10)), 60)
        except ValueError:
            return _json_error("The timeout must be a number.", 422, {"timeout": ["The timeout must be a number."]})
        deadline = time.monotonic() + timeout
        while delivery.outstanding() and time.monotonic() < deadline:
            db.session.rollback()  # see the worker's commits
            time.sleep(0.05)
        drained = delivery.outstanding() == 0
    return jsonify(
        {
            "drained": drained,
            "outstanding": delivery.outstanding(),
            "deliveries": [_delivery_json(d) for d in _recent_deliveries()],
        }
    )


@bp.post("/deliveries/flush")
@csrf.exempt
def flush():
    """Attempt every pending delivery now, in this request (useful with the worker off)."""
    return jsonify({"attempted": delivery.flush(), "outstanding": delivery.outstanding()})


def _merchant_event_data(event: str, data: dict) -> dict:
    """The default figures of `event`, overridden by any given at the top level or under `data`."""
    given = {**data, **(data.get("data") if isinstance(data.get("data"), dict) else {})}
    v = Validator(given)
    figures = dict(MERCHANT_EVENT_DATA[event])
    for name in figures:
        if name in given:
            value = v.number(name, minimum=-9999999999.99)
            if value is not None:
                figures[name] = value
    if v.errors:
        raise Invalid(v.errors, "trigger")
    return figures


@bp.post("/trigger")
@csrf.exempt
def trigger():
    """Send a documented event now, like `stripe trigger`:
    `{"event": "captured", "order_uuid": "..."}` for an order event (the order's present state;
    `auto_refunded` refunds the order first), or `{"event": "low_balance_warning"}` /
    `{"event": "debt_exceeded"}` for a merchant event, figures overridable
    (`current_balance`, `order_points`, `balance_after_order`, `max_debt_allowed`)."""
    data = _submitted()
    if data.get("body") not in (None, ""):
        return _send_body(data, data["body"])
    if request.is_json and data.get("body") == "":
        return _send_body(data, "")  # an empty body, asked for
    event = data.get("event")
    order_uuid = data.get("order_uuid")
    try:
        if event not in ORDER_EVENTS + MERCHANT_EVENTS:
            known = ", ".join(ORDER_EVENTS + MERCHANT_EVENTS)
            raise Invalid({"event": [f"The selected event is invalid (known: {known})."]}, "trigger")
        if event in ORDER_EVENTS and not (isinstance(order_uuid, str) and order_uuid.strip()):
            raise Invalid({"order_uuid": [f"The order uuid field is required for {event}."]}, "trigger")
        figures = _merchant_event_data(event, data) if event in MERCHANT_EVENTS else None
    except Invalid as invalid:
        return _invalid_answer(invalid, data)
    if figures is not None:
        made = webhooks.enqueue_merchant(_the_merchant(), event, figures, origin=request.host_url.rstrip("/"))
        db.session.commit()
        webhooks.notify()
        order = None
    else:
        order = db.session.scalar(sa.select(Order).where(Order.uuid == order_uuid.strip()))
        if order is None:
            if request.is_json:
                return _json_error("Order not found.", 404)
            return _invalid_answer(Invalid({"order_uuid": ["No order has this uuid."]}, "trigger"), data)
        try:
            made = orders.trigger(order, event)
        except IllegalMove as error:
            db.session.rollback()
            if request.is_json:
                return _json_error(error.message, 400)
            return _invalid_answer(Invalid({"event": [error.message]}, "trigger"), data)
    return _triggered("c_triggered", event, order, made)


def _triggered(key: str, event: str, order: Order | None, made: list[Delivery]):
    if not request.is_json:
        return _done(
            _t(
                key,
                event=event,
                target=_t("c_for_order", order=order.order_number) if order else "",
                count=len(made),
                deliveries="delivery" if len(made) == 1 else "deliveries",
                ids=", ".join("#" + str(d.id) for d in made) or _t("c_no_webhook"),
            )
        )
    return jsonify(
        {"event": event, "order_uuid": order.uuid if order else None, "deliveries": [_delivery_json(d) for d in made]}
    )


def _readable_event(body: str) -> str | None:
    """The body's `event`, when it is JSON with a short printable one (a header can carry it)."""
    try:
        event = json.loads(body).get("event")
    except (ValueError, AttributeError):
        return None
    if isinstance(event, str) and 0 < len(event) <= 40 and all(" " <= ch <= "~" for ch in event):
        return event
    return None


def _send_body(data: dict, body):
    """The edited trigger: `body` sent verbatim to every webhook, X-Webhook-Event from the body's
    `event` when readable, else the chosen `event`. It changes no order (not even auto_refunded)."""
    if not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False)  # a JSON caller may give the value itself
    elif not request.is_json:
        body = body.replace("\r\n", "\n")  # a textarea posts CRLF line ends; what was typed has LF
    chosen, order_uuid = data.get("event"), data.get("order_uuid")
    readable = _readable_event(body)
    event = readable or chosen
    try:
        errors = {}
        if len(body.encode("utf-8")) > MAX_BODY_BYTES:
            errors["body"] = [f"The body must not be greater than {MAX_BODY_BYTES // 1024} kilobytes."]
        if readable is None and chosen not in ORDER_EVENTS + MERCHANT_EVENTS:
            known = ", ".join(ORDER_EVENTS + MERCHANT_EVENTS)
            errors["event"] = [f"The selected event is invalid (known: {known})."]
        if errors:
            raise Invalid(errors, "trigger")
    except Invalid as invalid:
        return _invalid_answer(invalid, data)
    order = None
    if isinstance(order_uuid, str) and order_uuid.strip():
        order = db.session.scalar(sa.select(Order).where(Order.uuid == order_uuid.strip()))
        if order is None:
            if request.is_json:
                return _json_error("Order not found.", 404)
            return _invalid_answer(Invalid({"order_uuid": ["No order has this uuid."]}, "trigger"), data)
    merchant_id = order.merchant_id if order else _the_merchant().id
    made = webhooks.enqueue_body(merchant_id, event, body, order=order, origin=request.host_url.rstrip("/"))
    for made_delivery in made:
        made_delivery.note = made_delivery.note or "edited body, sent as it is"
    db.session.commit()
    webhooks.notify()
    return _triggered("c_triggered_body", event, order, made)


def _default_body(event, order_uuid) -> tuple[str, Order | None]:
    """What the trigger would send for (event, order) now; raises Invalid or IllegalMove."""
    if event not in ORDER_EVENTS + MERCHANT_EVENTS:
        known = ", ".join(ORDER_EVENTS + MERCHANT_EVENTS)
        raise Invalid({"event": [f"The selected event is invalid (known: {known})."]}, "trigger")
    if event in MERCHANT_EVENTS:
        return webhooks.merchant_body(_the_merchant(), event, MERCHANT_EVENT_DATA[event]), None
    if not (isinstance(order_uuid, str) and order_uuid.strip()):
        raise Invalid({"order_uuid": [f"The order uuid field is required for {event}."]}, "trigger")
    order = db.session.scalar(sa.select(Order).where(Order.uuid == order_uuid.strip()))
    if order is None:
        raise LookupError
    return orders.trigger_preview(order, event), order


def _indented(body: str) -> str:
    return json.dumps(json.loads(body), ensure_ascii=False, indent=2)


@bp.get("/trigger/preview")
def trigger_preview():
    """`?event=captured&order_uuid=...`: the body the trigger would send, without sending it:
    `{"event", "order_uuid", "body", "body_indented"}` (the page's textarea takes the second)."""
    event, order_uuid = request.args.get("event"), request.args.get("order_uuid")
    try:
        body, order = _default_body(event, order_uuid)
    except Invalid as invalid:
        return _json_error(invalid.message, 422, invalid.errors)
    except LookupError:
        return _json_error("Order not found.", 404)
    except IllegalMove as error:
        return _json_error(error.message, 400)
    return jsonify(
        {"event": event, "order_uuid": order.uuid if order else None, "body": body, "body_indented": _indented(body)}
    )


@bp.post("/trigger/prepare")
def trigger_prepare():
    """The page's "Prepare body" without JavaScript: the page again, its textarea filled."""
    data = request.form.to_dict()  # CSRF-checked by the app's CSRFProtect (not exempt)
    try:
        body, _ = _default_body(data.get("event"), data.get("order_uuid"))
    except Invalid as invalid:
        return _dashboard(400, invalid, data)
    except LookupError:
        return _dashboard(400, Invalid({"order_uuid": ["No order has this uuid."]}, "trigger"), data)
    except IllegalMove as error:
        return _dashboard(400, Invalid({"event": [error.message]}, "trigger"), data)
    flash(_t("c_prepared", event=data["event"]), FLASH)
    prepared = {"event": data["event"], "order_uuid": data.get("order_uuid", ""), "body": _indented(body)}
    return _dashboard(prepared=prepared)


@bp.post("/deliveries/<int:delivery_id>/resend")
@csrf.exempt
def resend(delivery_id: int):
    """The same body to the same webhook, as a new delivery with its own attempts."""
    if not request.is_json and request.form:
        csrf.protect()
    original = db.session.get(Delivery, delivery_id)
    if original is None:
        return _json_error("Delivery not found.", 404)
    if original.webhook_id is None:
        message = f"Delivery #{delivery_id} has no webhook any more (it was deleted): nothing to resend to."
        if request.form:
            flash(_t("c_resend_gone", id=delivery_id), FLASH + "-error")
            return redirect(url_for("control.dashboard"), code=303)
        return _json_error(message, 409)
    copy = webhooks.resend(original)
    db.session.commit()
    webhooks.notify()
    if request.form:
        return _done(_t("c_resent", id=delivery_id, event=original.event, copy=copy.id))
    return jsonify({"resent_from": delivery_id, "deliveries": [_delivery_json(copy)]})


# --- Shoppers ---------------------------------------------------------------------------------


@bp.post("/shoppers/<phone>/activate")
@csrf.exempt
def activate_shopper(phone: str):
    """The shopper activates their Points account: it is made (zero balance) and each pending
    earning of that phone is approved, its points added and its `approved` webhook sent."""
    from_page = bool(request.form)  # the page's form; a bare or JSON POST answers JSON
    if from_page:
        csrf.protect()
    v = Validator({"phone_number": phone})
    clean_phone = v.phone("phone_number", required=True)
    if v.errors:
        return _json_error(ValidationFailed(v.errors).message, 422, v.errors)
    try:
        shopper, approved = earning.activate(clean_phone)
    except earning.AlreadyActive:
        db.session.rollback()
        message = f"Shopper {clean_phone} already has an active account."
        if from_page:
            flash(_t("c_already_active", phone=clean_phone), FLASH + "-error")
            return redirect(url_for("control.dashboard"), code=303)
        return _json_error(message, 400)
    answer = {
        "phone_number": shopper.phone,
        "balance": shopper.balance,
        "approved": [
            {"order_uuid": o.uuid, "order_number": o.order_number, "total_points": o.earned_points} for o in approved
        ],
    }
    if from_page:
        return _done(_t("c_activated", phone=shopper.phone, count=len(approved), balance=f"{shopper.balance:,}"))
    return jsonify(answer)


# --- Sessions ---------------------------------------------------------------------------------


def _session_json(cs: CheckoutSession) -> dict:
    return {
        "session_id": cs.id,
        "state": cs.state,
        "step": checkout.step(cs),
        "order_uuid": cs.order.uuid,
        "order_number": cs.order.order_number,
        "order_status": cs.order.order_status,
        "phone_number": cs.phone,
        "otp_code": cs.otp_code,
        "expires_at": iso(cs.expires_at),
        "redirect_url": checkout.return_url(cs.order),
    }


def _session_or_404(session_id: str) -> CheckoutSession:
    cs = checkout.find(session_id)
    if cs is None:
        abort(404)
    return cs


@bp.get("/sessions/<session_id>")
def session_state(session_id: str):
    cs = _session_or_404(session_id)
    checkout.expire_if_stale(cs)
    return jsonify(_session_json(cs))


@bp.post("/sessions/<session_id>/expire")
@csrf.exempt
def expire(session_id: str):
    """Expire now: the order is cancelled with reason `checkout expired`."""
    cs = _session_or_404(session_id)
    if cs.state == "open":
        cs.expires_at = utcnow()
        db.session.commit()
        checkout.expire_if_stale(cs)
    return jsonify(_session_json(cs))


@bp.post("/sessions/<session_id>/complete")
@csrf.exempt
def complete(session_id: str):
    """Play a shopper: `{"phone_number", "points", "card_number"}` through the pages' steps."""
    cs = _session_or_404(session_id)
    data = request.get_json(silent=True) or {}
    try:
        points = int(data.get("points") or 0)
    except (TypeError, ValueError):
        return jsonify({"error": "points must be an integer"}), 422
    try:
        checkout.play(cs, str(data.get("phone_number") or ""), max(points, 0), data.get("card_number"))
    except CheckoutError as error:
        db.session.rollback()
        message = translate("en", error.key, **error.params)
        if error.key == "wrong_step":
            message = (
                f"The checkout session is at the {checkout.step(cs)} step: complete plays a "
                f"shopper only on an open session that has not verified a phone yet."
            )
        return jsonify({"error": message, **_session_json(cs)}), 400
    except IllegalMove as error:
        return jsonify({"error": error.message, **_session_json(cs)}), 400
    return jsonify(
        {
            "order_uuid": cs.order.uuid,
            "order_status": cs.order.order_status,
            "redirect_url": checkout.return_url(cs.order),
        }
    )
