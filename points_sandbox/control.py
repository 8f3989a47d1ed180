"""Sandbox-only controls for demos and tests, at /_control: the delivery log, chaos switches,
a whole shopper in one call, reset. Nothing here exists on the real Points service."""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from . import checkout, seed, webhooks
from .checkout import CheckoutError
from .extensions import csrf, db
from .i18n import translate
from .models import (Chaos, CheckoutSession, Delivery, DeliveryAttempt, Merchant, Order, OrderItem,
                     Shopper, utcnow)
from .orders import IllegalMove
from .webhooks import iso

bp = Blueprint("control", __name__, url_prefix="/_control")

CHAOS_FIELDS = {
    # name: type; the JSON body and the HTML form use the same names.
    "webhook_delay_seconds": float,
    "webhook_duplicate": bool,
    "webhook_reverse": bool,
    "webhook_drop_next": int,
    "checkout_fail_status": int,
    "checkout_fail_next": int,
}


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _chaos_json() -> dict:
    switches = webhooks.chaos()
    return {name: getattr(switches, name) for name in CHAOS_FIELDS}


def _delivery_json(delivery: Delivery) -> dict:
    return {
        "id": delivery.id,
        "event": delivery.event,
        "order_uuid": delivery.order.uuid if delivery.order else None,
        "order_number": delivery.order.order_number if delivery.order else None,
        "webhook_uuid": delivery.webhook.uuid if delivery.webhook else None,
        "status": delivery.status,
        "note": delivery.note,
        "created_at": iso(delivery.created_at),
        "next_attempt_at": iso(delivery.next_attempt_at),
        "payload": delivery.payload,
        "attempts": [
            {"number": a.number, "url": a.url, "at": iso(a.started_at), "status_code": a.status_code,
             "error": a.error, "duration_ms": a.duration_ms}
            for a in delivery.attempts
        ],
    }


def _recent_deliveries(limit: int = 200):
    query = sa.select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if request.args.get("order_number"):
        query = query.join(Order).where(Order.order_number == request.args["order_number"])
    if request.args.get("event"):
        query = query.where(Delivery.event == request.args["event"])
    return db.session.scalars(query).all()


@bp.get("/")
def dashboard():
    merchant = db.session.scalar(sa.select(Merchant).order_by(Merchant.id))
    sessions = db.session.scalars(
        sa.select(CheckoutSession).order_by(CheckoutSession.created_at.desc()).limit(20)).all()
    shoppers = db.session.scalars(sa.select(Shopper).order_by(Shopper.phone)).all()
    return render_template("sandbox/control.html", chaos=_chaos_json(), merchant=merchant,
                           deliveries=_recent_deliveries(), sessions=sessions, shoppers=shoppers,
                           step=checkout.step)


@bp.route("/chaos", methods=["GET", "POST"])
@csrf.exempt
def chaos():
    if request.method == "POST":
        if request.is_json:
            data = request.get_json(silent=True) or {}
        else:
            csrf.protect()  # the HTML form on the dashboard
            data = request.form.to_dict()
            for name, kind in CHAOS_FIELDS.items():  # unticked checkboxes are absent
                if kind is bool:
                    data[name] = name in request.form
        switches = webhooks.chaos()
        for name, kind in CHAOS_FIELDS.items():
            if name in data:
                value = data[name]
                if kind is bool:
                    value = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "on", "yes")
                elif value in (None, ""):
                    value = None if name == "checkout_fail_status" else kind(0)
                else:
                    value = kind(value)
                setattr(switches, name, value)
        if not switches.webhook_reverse:
            webhooks.release_all_held()
        db.session.commit()
        webhooks.notify()
        if not request.is_json:
            return redirect(url_for("control.dashboard"), code=303)
    return jsonify(_chaos_json())


@bp.post("/merchant")
@csrf.exempt
def merchant_settings():
    """`{"two_step": true}`: settle hosted checkouts as authorized + captured."""
    if not request.is_json:
        csrf.protect()
    data = request.get_json(silent=True) if request.is_json else {"two_step": "two_step" in request.form}
    merchant = db.session.scalar(sa.select(Merchant).order_by(Merchant.id))
    if "two_step" in (data or {}):
        merchant.two_step = bool(data["two_step"])
        db.session.commit()
    if not request.is_json:
        return redirect(url_for("control.dashboard"), code=303)
    return jsonify({"two_step": merchant.two_step})


@bp.post("/reset")
@csrf.exempt
def reset():
    """Chaos off, every order, session and delivery gone, the test shoppers as seeded.
    Merchants and registered webhooks stay."""
    if not request.is_json and request.form:
        csrf.protect()
    for model in (DeliveryAttempt, Delivery, CheckoutSession, OrderItem, Order, Shopper):
        db.session.execute(sa.delete(model))
    # The chaos row is switched off, not deleted: requests meanwhile keep finding it.
    db.session.execute(sa.update(Chaos).values(
        webhook_delay_seconds=0.0, webhook_duplicate=False, webhook_reverse=False, webhook_drop_next=0,
        checkout_fail_status=None, checkout_fail_next=0))
    db.session.execute(sa.update(Merchant).values(two_step=False))
    db.session.commit()
    seed.seed_chaos()
    seed.seed_shoppers()
    if request.form:
        return redirect(url_for("control.dashboard"), code=303)
    return jsonify({"reset": True})


@bp.get("/deliveries")
def deliveries():
    """The delivery log. `?wait=1` first waits (up to `timeout` s, default 10) for the outbox to
    drain: every delivery delivered, failed or dropped (held ones excepted)."""
    drained = True
    if request.args.get("wait") in ("1", "true"):
        deadline = time.monotonic() + min(float(request.args.get("timeout", 10)), 60)
        while webhooks.outstanding() and time.monotonic() < deadline:
            db.session.rollback()  # see the worker's commits
            time.sleep(0.05)
        drained = webhooks.outstanding() == 0
    return jsonify({"drained": drained, "outstanding": webhooks.outstanding(),
                    "deliveries": [_delivery_json(d) for d in _recent_deliveries()]})


@bp.post("/deliveries/flush")
@csrf.exempt
def flush():
    """Attempt every pending delivery now, in this request (useful with the worker off)."""
    return jsonify({"attempted": webhooks.flush(), "outstanding": webhooks.outstanding()})


def _session_json(cs: CheckoutSession) -> dict:
    return {
        "session_id": cs.id, "state": cs.state, "step": checkout.step(cs),
        "order_uuid": cs.order.uuid, "order_number": cs.order.order_number,
        "order_status": cs.order.order_status, "phone_number": cs.phone,
        "otp_code": cs.otp_code, "expires_at": iso(cs.expires_at),
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
            message = (f"The checkout session is at the {checkout.step(cs)} step: complete plays a "
                       f"shopper only on an open session that has not verified a phone yet.")
        return jsonify({"error": message, **_session_json(cs)}), 400
    except IllegalMove as error:
        return jsonify({"error": error.message, **_session_json(cs)}), 400
    return jsonify({"order_uuid": cs.order.uuid, "order_status": cs.order.order_status,
                    "redirect_url": checkout.return_url(cs.order)})
