"""The Points merchant API at /api/v1, as points-openapi.yaml describes it.

Envelopes: `{status, message, appended_data, data}`; errors `{status: false, message,
appended_data}` (+ `errors` on 422). Auth failures are 400 `Invalid or inactive API key`.
"""

from __future__ import annotations

import math
import secrets
import time
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, jsonify, request, url_for

from . import chaos, checkout, earning, orders
from .extensions import csrf, db
from .models import Delivery, Merchant, Order, Webhook, laravel_iso, stamp, utcnow
from .orders import SHIPPING_STATUSES, IllegalMove
from .validation import ValidationFailed, Validator, validate_checkout, validate_earning

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # a JSON API authenticated by keys, not by a browser session

INVALID_KEY = "Invalid or inactive API key"
# The documented 403s (api reference §2.4, §10.5; OpenAPI `Forbidden`), reachable by switches.
MERCHANT_NOT_ALLOWED = "Merchant is not allowed to perform this action."
IP_NOT_ALLOWED = "Your IP address is not allowed to access this API."
EARNING_NOT_ALLOWED = "Merchant is not allowed to create earning orders"  # quickstart, §2.4
# The 429 of Points' per-merchant earning lock (OpenAPI, docs §8).
EARNING_LOCKED = "Too many concurrent requests for the same merchant"
# Webhooks must be https; plain http only to the machine itself (decisions, "Sandbox delivery").
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
PAYMENT_METHODS = [str(n) for n in range(1, 11)]
# Paging bounds: the offset must stay a 64-bit integer for the database.
MAX_PER_PAGE = 100
MAX_PAGE = 2_147_483_647


class ApiError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message, self.status = message, status


def ok(data, **extra):
    return jsonify({"status": True, "message": "", "appended_data": {}, "data": data, **extra})


def fail(message: str, status: int, errors: dict | None = None):
    body = {"status": False, "message": message, "appended_data": {}}
    if errors is not None:
        body["errors"] = errors
    return jsonify(body), status


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return fail(error.message, error.status)


@bp.errorhandler(ValidationFailed)
def _validation_failed(error: ValidationFailed):
    return fail(error.message, 422, error.errors)


@bp.errorhandler(IllegalMove)
def _illegal_move(error: IllegalMove):
    return fail(error.message, 400)


def body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        data = request.form.to_dict()
    return data if isinstance(data, dict) else {}


def merchant_from_key() -> Merchant:
    key = request.headers.get("x-api-key", "")
    merchant = db.session.scalar(sa.select(Merchant).where(Merchant.private_key == key)) if key else None
    if merchant is None or not merchant.active:
        raise ApiError(INVALID_KEY, 400)
    # Checked after the key, as Points does: the merchant's standing, then the caller's IP.
    switches = chaos.switches()
    if switches.forbid_merchant:
        raise ApiError(MERCHANT_NOT_ALLOWED, 403)
    if switches.forbid_ip:
        raise ApiError(IP_NOT_ALLOWED, 403)
    return merchant


def response_language() -> str:
    wanted = request.args.get("lang") or request.headers.get("Accept-Language", "")
    return "ar" if wanted.lower().startswith("ar") else "en"


def since(moment: datetime) -> str:
    seconds = int((utcnow() - moment).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def order_resource(order: Order) -> dict:
    """OrderResource: integer `id` and `type`, shipping `status` as its backed integer."""
    lang = response_language()
    custom = (
        {"ar": order.custom_status_ar, "en": order.custom_status_en}
        if order.custom_status_ar or order.custom_status_en
        else None
    )
    return {
        "id": order.id,
        "uuid": order.uuid,
        "reference_number": order.reference_number,
        "order_status": order.order_status,
        "status_label": orders.shipping_label(order, lang),
        "custom_status": custom,
        "order_number": order.order_number,
        "type": order.type,
        "total_price": float(order.total_price),
        "total_points": orders.total_points(order),
        "metadata": order.meta,
        "date": order.created_at.strftime("%Y-%m-%d"),
        "time": order.created_at.strftime("%H:%M:%S"),
        "since": since(order.created_at),
        "settlement_status": order.settlement_status,
        "status": SHIPPING_STATUSES[order.shipping_status][0] if order.shipping_status else None,
        "created_at": laravel_iso(order.created_at),
        "updated_at": laravel_iso(order.updated_at),
        "items": [
            {"product_name": i.product_name, "product_price": float(i.product_price), "quantity": i.quantity}
            for i in order.items
        ]
        or None,
    }


# --- Orders ----------------------------------------------------------------------------------


@bp.post("/orders/checkout/<public_key>")
def checkout_order(public_key: str):
    switches = chaos.switches()
    if switches.checkout_fail_next > 0:  # chaos: the next call(s) fail as configured
        switches.checkout_fail_next -= 1
        status = switches.checkout_fail_status or 500
        db.session.commit()
        return fail("Too Many Attempts." if status == 429 else "Server Error", status)
    merchant = db.session.scalar(sa.select(Merchant).where(Merchant.public_key == public_key))
    if merchant is None or not merchant.active:
        raise ApiError(INVALID_KEY, 400)
    # An unverified/unpublished merchant cannot check out either (403 documented for this
    # path); IP whitelisting does not apply to it (docs §10.5: the checkout endpoint is exempt).
    if switches.forbid_merchant:
        raise ApiError(MERCHANT_NOT_ALLOWED, 403)
    clean = validate_checkout(body())
    # Relative webhook URLs resolve against the origin this call came in on (no mount prefix).
    cs = checkout.create(merchant, clean, origin=request.host_url.rstrip("/"))
    time.sleep(switches.checkout_delay_seconds)  # chaos: the order exists, the answer comes late
    return ok({"checkout_url": url_for("hosted.page", session_id=cs.id, _external=True)})


def pending_earning_resource(order: Order) -> dict:
    """PendingEarningResponse's `data`: no uuid (the docs' example has none)."""
    return {
        "pending_client_activation": True,
        "pending_earning_order": {
            "id": order.id,
            "merchant_order_number": order.order_number,
            "total_price": float(order.total_price),
            "total_points": order.earned_points,
        },
    }


@bp.post("/orders/earning")
def earning_order():
    switches = chaos.switches()
    if switches.earning_fail_next > 0:  # chaos: the next call(s) fail as configured
        switches.earning_fail_next -= 1
        status = switches.earning_fail_status or 500
        retry_after = switches.earning_retry_after
        db.session.commit()
        if status == 429:
            response, _ = fail(EARNING_LOCKED, 429)
            response.headers["Retry-After"] = str(retry_after)
            return response, 429
        return fail("Server Error", status)
    merchant = merchant_from_key()
    if not merchant.earning_enabled:
        raise ApiError(EARNING_NOT_ALLOWED, 403)
    clean = validate_earning(body())
    origin = request.host_url.rstrip("/")  # relative webhook URLs resolve here
    try:
        with earning.merchant_lock(merchant):
            switches = chaos.switches()
            delay = switches.earning_delay_seconds
            hang = 0.0
            if switches.earning_hang_next > 0:
                switches.earning_hang_next -= 1
                hang = switches.earning_hang_seconds
            db.session.commit()
            time.sleep(delay)  # chaos: a slow Points, so the lock's 429 can be seen
            order = earning.create(merchant, clean, origin)
            answer = pending_earning_resource(order) if order.pending_activation else order_resource(order)
            time.sleep(hang)  # chaos: the order exists, the answer comes late (or never, to the caller)
    except earning.Locked:
        raise ApiError(EARNING_LOCKED, 429) from None
    return ok(answer)


def find_order(merchant: Merchant, order_uuid: str) -> Order:
    order = db.session.scalar(sa.select(Order).where(Order.uuid == order_uuid, Order.merchant_id == merchant.id))
    if order is None:
        raise ApiError("Order not found.", 404)
    return order


@bp.get("/orders/<order_uuid>")
def get_order(order_uuid: str):
    return ok(order_resource(find_order(merchant_from_key(), order_uuid)))


@bp.post("/orders/<order_uuid>/status")
def update_shipping_status(order_uuid: str):
    merchant = merchant_from_key()
    v = Validator(body())
    # ShippingStatusUpdateRequest: `required: [status]`; the labels are optional extras.
    status = v.choice("status", SHIPPING_STATUSES, required=True)
    name_ar = v.string("name_ar", max_length=120)
    name_en = v.string("name_en", max_length=120)
    v.check()
    return ok(order_resource(orders.update_shipping(find_order(merchant, order_uuid), status, name_ar, name_en)))


@bp.post("/orders/<order_uuid>/cancel")
def cancel_order(order_uuid: str):
    merchant = merchant_from_key()
    v = Validator(body())
    reason = v.string("reason", max_length=500)
    v.check()
    order = find_order(merchant, order_uuid)
    return ok(order_resource(orders.cancel(order, reason or "Order cancelled via API")))


@bp.post("/orders/<order_uuid>/refund")
def refund_order(order_uuid: str):
    merchant = merchant_from_key()
    v = Validator(body())
    amount = v.number("amount", minimum=0)
    reason = v.string("reason", max_length=500)
    v.check()
    return ok(order_resource(orders.refund(find_order(merchant, order_uuid), amount, reason)))


@bp.post("/orders/<order_uuid>/complete")
def complete_order(order_uuid: str):
    merchant = merchant_from_key()
    v = Validator(body())
    method = v.choice("payment_method", PAYMENT_METHODS)
    v.check()
    return ok(order_resource(orders.complete(find_order(merchant, order_uuid), method)))


@bp.post("/orders/<order_uuid>/authorize")
def authorize_order(order_uuid: str):
    return ok(order_resource(orders.authorize(find_order(merchant_from_key(), order_uuid))))


@bp.post("/orders/<order_uuid>/capture")
def capture_order(order_uuid: str):
    return ok(order_resource(orders.capture(find_order(merchant_from_key(), order_uuid))))


# --- Webhooks --------------------------------------------------------------------------------


def webhook_resource(hook: Webhook) -> dict:
    # The secret is returned on every read, as the newest SPEC says.
    return {
        "uuid": hook.uuid,
        "merchant_id": hook.merchant_id,
        "name": hook.name,
        "url": hook.url,
        "secret": hook.secret,
        "created_at": laravel_iso(hook.created_at),
        "updated_at": laravel_iso(hook.updated_at),
    }


def find_webhook(merchant: Merchant, webhook_uuid: str) -> Webhook:
    hook = db.session.scalar(sa.select(Webhook).where(Webhook.uuid == webhook_uuid, Webhook.merchant_id == merchant.id))
    if hook is None:
        raise ApiError("Webhook not found.", 404)
    return hook


def webhook_url(v: Validator, *, required: bool) -> str | None:
    """A valid URL that is https, or http to a loopback host (local work); else a 422 on `url`."""
    url = v.url("url", required=required, max_length=500)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme != "https" and (parts.hostname or "").lower() not in LOOPBACK_HOSTS:
            v.fail("url", "The url must start with one of the following: https://.")
            return None
    return url


def url_taken(merchant: Merchant, url: str, other_than: Webhook | None = None) -> bool:
    query = sa.select(Webhook.id).where(Webhook.merchant_id == merchant.id, Webhook.url == url)
    if other_than is not None:
        query = query.where(Webhook.id != other_than.id)
    return db.session.scalar(query) is not None


@bp.get("/webhooks")
def list_webhooks():
    merchant = merchant_from_key()
    v = Validator(request.args.to_dict())
    per_page = v.integer("per_page", minimum=1, maximum=MAX_PER_PAGE) or 15
    page = v.integer("page", minimum=1, maximum=MAX_PAGE) or 1
    v.check()
    query = sa.select(Webhook).where(Webhook.merchant_id == merchant.id).order_by(Webhook.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    hooks = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    last_page = max(1, math.ceil(total / per_page))

    def page_url(number):
        return url_for("api.list_webhooks", page=number, per_page=per_page, _external=True)

    first_item = (page - 1) * per_page + 1 if hooks else None
    return ok(
        [webhook_resource(h) for h in hooks],
        # Laravel's paginator keys.
        links={
            "first": page_url(1),
            "last": page_url(last_page),
            "prev": page_url(page - 1) if page > 1 else None,
            "next": page_url(page + 1) if page < last_page else None,
        },
        meta={
            "current_page": page,
            "from": first_item,
            "last_page": last_page,
            "path": url_for("api.list_webhooks", _external=True),
            "per_page": per_page,
            "to": first_item + len(hooks) - 1 if hooks else None,
            "total": total,
        },
    )


@bp.post("/webhooks")
def create_webhook():
    merchant = merchant_from_key()
    v = Validator(body())
    name = v.string("name", required=True, max_length=255)
    url = webhook_url(v, required=True)
    v.check()
    if url_taken(merchant, url):
        raise ApiError("A webhook already exists for this URL.", 400)
    hook = Webhook(merchant=merchant, name=name, url=url, secret=secrets.token_hex(30))
    db.session.add(hook)
    db.session.commit()
    return ok(webhook_resource(hook))


@bp.get("/webhooks/<webhook_uuid>")
def get_webhook(webhook_uuid: str):
    return ok(webhook_resource(find_webhook(merchant_from_key(), webhook_uuid)))


@bp.route("/webhooks/<webhook_uuid>", methods=["PUT", "PATCH"])
def update_webhook(webhook_uuid: str):
    merchant = merchant_from_key()
    hook = find_webhook(merchant, webhook_uuid)
    data = body()
    v = Validator(data)
    name = v.string("name", max_length=255)
    url = webhook_url(v, required=False)
    if not v.errors and name is None and url is None:
        v.fail("name", "The name field is required when url is not present.")
        v.fail("url", "The url field is required when name is not present.")
    if url is not None and url_taken(merchant, url, other_than=hook):
        v.fail("url", "The url has already been taken.")
    v.check()
    hook.name = name if name is not None else hook.name
    hook.url = url if url is not None else hook.url
    hook.updated_at = stamp()
    db.session.commit()
    return ok(webhook_resource(hook))


@bp.delete("/webhooks/<webhook_uuid>")
def delete_webhook(webhook_uuid: str):
    hook = find_webhook(merchant_from_key(), webhook_uuid)
    # Unregistered mid-flow: nothing more goes to it (the worker cancels orphaned deliveries).
    db.session.execute(sa.update(Delivery).where(Delivery.webhook_id == hook.id).values(webhook_id=None))
    db.session.delete(hook)
    db.session.commit()
    return jsonify({"status": True, "message": "", "appended_data": {}})
