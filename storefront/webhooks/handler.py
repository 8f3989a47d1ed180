"""Receiving a Points webhook: verify, parse, de-duplicate, apply, record — in one transaction.

Shaped after Saleor's payment webhooks: verification first, one handler per event name, unknown
events acknowledged, state checked before every change, de-duplication by the provider's ids.
The answer's status code is what Points sees: 2xx = done, 401 = bad secret, 400 = malformed,
404 = unknown order (so Points retries: our order row may not be committed yet).
"""
import hmac
import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import orders
from ..extensions import db
from ..models import Order, WebhookReceipt, utcnow
from ..orders import Outcome
from ..privacy import mask_value
from ..transactions import lock_order

log = logging.getLogger(__name__)

RECORDED_HEADERS = ("Content-Type", "User-Agent", "X-Webhook-Event", "X-Webhook-Secret")


@dataclass
class Result:
    status_code: int
    outcome: str
    detail: str = ""


def receive(raw_body: bytes, headers) -> Result:
    """Handle one delivery. ``headers`` is any case-insensitive mapping (werkzeug's Headers)."""
    recorded_headers = _safe_headers(headers)

    if not _secret_matches(headers.get("X-Webhook-Secret")):
        # Nothing is stored for an unverified request (anyone can send one), only a log line,
        # which the admin's webhooks page also shows from this process's recent memory.
        log.warning("Webhook with a missing or wrong X-Webhook-Secret rejected (event header %r)",
                    headers.get("X-Webhook-Event"))
        recent_failed_verifications().append({"at": utcnow(), "headers": recorded_headers})
        return Result(401, "unauthorized", "missing or wrong X-Webhook-Secret")

    body_text = raw_body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(body_text)
        event = payload["event"]
        points_order = payload["order"]
        order_number = points_order["order_number"]
        if not (isinstance(event, str) and event and isinstance(order_number, str) and order_number.lstrip("#")):
            raise TypeError
        order_number = order_number.lstrip("#")
    except (ValueError, KeyError, TypeError):
        return _record(Result(400, "malformed", "not JSON, or no event / order.order_number"),
                       headers=recorded_headers, body=body_text)

    facts = dict(headers=recorded_headers, body=body_text, event=event[:64], order_number=order_number[:64],
                 points_uuid=str(points_order.get("id") or "")[:64] or None)

    handler = HANDLERS.get(event)
    if handler is None:
        log.info("Unknown Points webhook event %r acknowledged", event)
        return _record(Result(200, "unknown_event", f"no handler for {event!r}; nothing changed"), **facts)

    # Two events for one order (approved + cancelled sent together, or a reconcile click) apply
    # one after the other, each reading the order after the other's commit.
    order = lock_order(Order.order_number == order_number)
    if order is None:
        return _record(Result(404, "unknown_order", f"no order {order_number!r} here (yet)"), **facts)

    # At least once: the same (order.id, event, updated_at) again is a duplicate (decisions).
    dedupe_key = "|".join([facts["points_uuid"] or facts["order_number"], facts["event"],
                           str(points_order.get("updated_at") or payload.get("timestamp") or "")[:64]])
    if _already_processed(dedupe_key):
        return _record(Result(200, "duplicate", "already processed; nothing changed"), order=order, **facts)

    other = _other_points_order(order, event, points_order)
    outcome = other or handler(order, points_order)
    _remember_points_ids(order, event, points_order, paying=other is None and event in PAYMENT_EVENTS)
    result = Result(200, outcome.outcome, outcome.detail)
    try:
        _record(result, order=order, dedupe_key=dedupe_key, commit=True, **facts)
    except IntegrityError:
        # A concurrent delivery of the same event won: it did the work, this one is a duplicate.
        db.session.rollback()
        order = db.session.scalar(sa.select(Order).where(Order.order_number == order_number))
        return _record(Result(200, "duplicate", "processed concurrently; nothing changed"), order=order, **facts)
    log.info("Webhook %s for %s: %s (%s)", event, order_number, outcome.outcome, outcome.detail)
    return result


# --- One handler per event ---------------------------------------------------------------------

def _status_event(status: str) -> Callable[[Order, dict], Outcome]:
    def handle(order: Order, points_order: dict) -> Outcome:
        return orders.apply_points_status(
            order, status, source="webhook", total_price=points_order.get("total_price"),
            reason=points_order.get("reason"),
        )
    return handle


def _refunded(order: Order, points_order: dict) -> Outcome:
    status = points_order.get("order_status")
    if status not in ("fully_refunded", "partially_refunded"):
        left = orders.as_decimal(points_order.get("left_amount"))
        status = "fully_refunded" if left is not None and left <= 0 else "partially_refunded"
    return orders.apply_points_status(
        order, status, source="webhook", refund_amount=points_order.get("refund_amount"),
        left_amount=points_order.get("left_amount"), reason=points_order.get("reason"),
    )


def _completed(order: Order, points_order: dict) -> Outcome:
    return Outcome("ignored", "completed follows approved; order_status stays approved")


def _shipping_status_updated(order: Order, points_order: dict) -> Outcome:
    status = points_order.get("status")
    if isinstance(status, str) and status:
        order.shipping_status = status
    custom = points_order.get("custom_status")
    if isinstance(custom, dict):
        order.shipping_label_ar = custom.get("ar") or order.shipping_label_ar
        order.shipping_label_en = custom.get("en") or order.shipping_label_en
    return Outcome("applied", f"shipping status {order.shipping_status}")


HANDLERS: dict[str, Callable[[Order, dict], Outcome]] = {
    "approved": _status_event("approved"),
    "authorized": _status_event("authorized"),
    "captured": _status_event("captured"),
    "cancelled": _status_event("cancelled"),
    "refunded": _refunded,
    "auto_refunded": _refunded,
    "completed": _completed,
    "shipping_status_updated": _shipping_status_updated,
}


PAYMENT_EVENTS = ("approved", "captured")


def _other_points_order(order: Order, event: str, points_order: dict) -> Optional[Outcome]:
    """An event about a *different* Points order carrying our order_number (a stale session,
    or a retried checkout call whose first attempt Points did receive).

    Its cancel must not cancel ours. Its payment is never ignored: on an order still awaiting
    payment (or given up) it is handled as usual; on one already paid it is money taken twice.
    """
    uuid = str(points_order.get("id") or "")
    if not order.points_uuid or not uuid or uuid == order.points_uuid:
        return None
    if event in PAYMENT_EVENTS:
        if order.status in (orders.PENDING_PAYMENT, orders.CANCELLED):
            return None
        if order.status != orders.NEEDS_REVIEW:
            orders.move(order, orders.NEEDS_REVIEW, source="webhook",
                        reason=f"Points order {uuid} was also paid for this order: refund one of them.")
        return Outcome("paid_twice", f"another Points order ({uuid}) was paid for {order.order_number}")
    return Outcome("other_points_order", f"about Points order {uuid}, not {order.points_uuid}; nothing changed")


# --- Helpers -----------------------------------------------------------------------------------

def recent_failed_verifications() -> deque:
    """The last failed verifications seen by this process: the log line, kept for the admin."""
    return current_app.extensions.setdefault("points_failed_verifications", deque(maxlen=100))


def _secret_matches(given: Optional[str]) -> bool:
    expected = current_app.config["POINTS_WEBHOOK_SECRET"]
    if not given or not expected:
        return False  # never skip verification, not even with no secret configured
    return hmac.compare_digest(given.encode(), expected.encode())


def _safe_headers(headers) -> dict:
    safe = {}
    for name in RECORDED_HEADERS:
        value = headers.get(name)
        if value is not None:
            safe[name] = mask_value(value) if name == "X-Webhook-Secret" else value
    return safe


def _already_processed(dedupe_key: str) -> bool:
    return db.session.scalar(sa.select(WebhookReceipt.id).where(WebhookReceipt.dedupe_key == dedupe_key)) is not None


def _remember_points_ids(order: Order, event: str, points_order: dict, *, paying: bool) -> None:
    """The order's Points uuid: the one that took the money, else the first one heard of.

    A ``cancelled`` never sets it: a stale session's cancel must not hide the paying session.
    """
    uuid = points_order.get("id")
    if uuid and (paying or (not order.points_uuid and event != "cancelled")):
        order.points_uuid = str(uuid)[:36]
    if points_order.get("reference_number"):
        order.points_reference_number = points_order["reference_number"]


def _record(result: Result, *, headers: dict, body: str = "", event=None, order_number=None,
            points_uuid=None, order: Optional[Order] = None, dedupe_key=None, commit=True) -> Result:
    db.session.add(WebhookReceipt(
        order_id=order.id if order is not None else None,
        event=event, order_number=order_number, points_uuid=points_uuid,
        headers=json.dumps(headers, sort_keys=True), body=body,
        response_status=result.status_code, outcome=result.outcome, detail=result.detail,
        dedupe_key=dedupe_key,
    ))
    if commit:
        db.session.commit()
    return result
