"""Receiving a Points webhook, step by step as points-decisions.md fixes it:

1. verify ``X-Webhook-Secret`` against the secret, or the next one while it rolls (401: no
   receipt, a log line and a count per hour and source, ``health.py``);
2. parse the body into typed values, ``payload.py`` (400, recorded, when it cannot be read);
3. a merchant event or an unknown event name: recorded, 200;
4. ownership: an order_number not in this shop's format, or an earning order whose order_number
   this shop never sent for earning, is not ours: 200;
5. lock our order: none (yet) is a 404, so Points retries (our order row may not be committed);
6. de-duplicate: this event about this very ``order`` object was processed already: 200;
7. apply it through the event's handler and record the delivery, in one transaction: 200. For a
   cash-on-delivery order the event is its earning order's: it updates the earning (earn.py),
   never the order's payment state.

Shaped after Saleor's payment webhooks: verification first, one handler per event name, unknown
events acknowledged, state checked before every change. Every delivery that passes step 1 leaves
a ``WebhookReceipt`` whose ``outcome`` is one of :class:`~storefront.points.orders.Outcome`.
"""

import hmac
import json
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Order, WebhookReceipt
from ..privacy import mask_value
from . import checkout, earn, health, orders, payload
from .client import PointsOrder
from .locks import lock_order
from .orders import Effect, Outcome
from .payload import MerchantEvent, OrderEvent, UnknownEvent

log = logging.getLogger(__name__)

RECORDED_HEADERS = ("Content-Type", "User-Agent", "X-Webhook-Event", "X-Webhook-Secret")
PAYMENT_EVENTS = ("approved", "captured")


@dataclass
class Result:
    """The answer Points sees: 2xx done, 400 unreadable, 401 bad secret, 404 retry later."""

    status_code: int
    outcome: Outcome
    detail: str = ""


@dataclass
class Receipt:
    """What is recorded of one delivery, filled in as far as it was read."""

    headers: dict
    body: str
    event: Optional[str] = None
    order_number: Optional[str] = None
    points_uuid: Optional[str] = None


def receive(raw_body: bytes, headers, remote_addr: Optional[str] = None) -> Result:
    """Handle one delivery. ``headers`` is any case-insensitive mapping (werkzeug's Headers);
    ``remote_addr`` is where it came from, counted when it is refused."""
    receipt = Receipt(headers=_safe_headers(headers), body=_storable(raw_body.decode("utf-8", errors="replace")))

    given = headers.get("X-Webhook-Secret")
    if not _secret_matches(given):
        # No receipt for an unverified request (anyone can send one): a log line, and a count per
        # hour and source network that every worker's admin page shows (never the body).
        reason = "missing" if not given else "wrong"
        source = health.source_network(remote_addr)
        log.warning(
            "Webhook with a %s X-Webhook-Secret rejected from %s (event header %r)",
            reason,
            source,
            headers.get("X-Webhook-Event"),
        )
        health.note_failed_verification(reason, source, receipt.headers)
        return Result(401, Outcome.UNAUTHORIZED, "missing or wrong X-Webhook-Secret")

    try:
        delivery = payload.parse(raw_body)
    except payload.Malformed as bad:
        receipt.event, receipt.order_number = bad.event, bad.order_number
        log.warning("Unreadable Points webhook answered 400: %s", bad.message)
        return _record(receipt, Result(400, Outcome.MALFORMED, bad.message))
    receipt.event = delivery.event

    if isinstance(delivery, MerchantEvent):
        log.info("Points merchant event %s: %s", delivery.event, delivery.summary)
        return _record(receipt, Result(200, Outcome.MERCHANT_EVENT, delivery.summary))
    if isinstance(delivery, UnknownEvent):
        log.info("Unknown Points webhook event %r acknowledged", delivery.event)
        return _record(
            receipt, Result(200, Outcome.UNKNOWN_EVENT, f"no handler for {delivery.event!r}; nothing changed")
        )
    return _receive_order_event(delivery, receipt)


def _receive_order_event(delivery: OrderEvent, receipt: Receipt) -> Result:
    points_order = delivery.order
    receipt.order_number, receipt.points_uuid = points_order.order_number, points_order.uuid

    why_not = not_ours(points_order)
    if why_not:
        return _record(receipt, Result(200, Outcome.NOT_OURS, f"{why_not}; nothing changed"))

    # Two events for one order (approved + cancelled sent together, or a reconcile click) apply
    # one after the other, each reading the order after the other's commit.
    order = lock_order(Order.order_number == points_order.order_number)
    if order is None:
        return _record(
            receipt, Result(404, Outcome.UNKNOWN_ORDER, f"no order {points_order.order_number!r} here (yet)")
        )

    dedupe_key = delivery.dedupe_key
    if _already_processed(dedupe_key):
        return _record(receipt, Result(200, Outcome.DUPLICATE, "already processed; nothing changed"), order_id=order.id)

    row, order_id = _receipt_row(receipt, order_id=order.id, dedupe_key=dedupe_key), order.id
    if orders.is_cash_on_delivery(order):
        # Only an earning order is ever made for a cash order: this is its news.
        if order.earning is None or order.earning.attempts == 0:
            return _record(receipt, Result(200, Outcome.NOT_OURS, "never sent for earning; nothing changed"))
        effect = earn.apply_webhook(order.earning, delivery.event, points_order)
    elif points_order.type == "earning":
        return _record(
            receipt, Result(200, Outcome.NOT_OURS, "an earning order for a Points checkout; nothing changed")
        )
    else:
        with orders.caused_by(order, webhook_receipt=row):
            effect = _apply(order, delivery.event, points_order)
    result = Result(200, effect.outcome, effect.detail)
    try:
        _record(receipt, result, row=row)
    except IntegrityError:
        # A concurrent delivery of the same event won: it did the work, this one is a duplicate.
        db.session.rollback()
        return _record(
            receipt, Result(200, Outcome.DUPLICATE, "processed concurrently; nothing changed"), order_id=order_id
        )
    log.info("Webhook %s for %s: %s (%s)", delivery.event, points_order.order_number, effect.outcome, effect.detail)
    return result


def not_ours(points_order: PointsOrder) -> Optional[str]:
    """Why a Points order is none of this shop's checkouts, or None when it may be one.

    Every webhook receives all the merchant's orders: earning orders from a till, ratings,
    another shop on the same Points account. An earning order is ours only when this shop sent
    its order_number to ``POST /v1/orders/earning`` (a cash-on-delivery order, collected)."""
    if not checkout.ORDER_NUMBER.fullmatch(points_order.order_number):
        return f"order_number {points_order.order_number!r} is not in this shop's format (PTS-YYYY-NNNNNN)"
    if points_order.type == "earning" and not earn.sent_for_earning(points_order.order_number):
        return "an earning order this shop never sent (points awarded on another channel)"
    return None


# --- Which Points order the delivery is about ---------------------------------------------------


class PointsOrderMatch(Enum):
    """The delivery's Points order, next to the one our order already has.

    One order_number may have had more than one Points order: a session given up for a newer one,
    or a retried checkout call whose first attempt Points did receive."""

    SAME = "the Points order our order already has"
    FIRST = "our order has no Points order yet: this is the first one heard of"
    REPLACES = "another Points order took the money while ours awaited payment or had been given up"
    PAID_TWICE = "another Points order took the money for an order already paid"
    OTHER = "another Points order's news that moves no money, e.g. a stale session's cancel"


def match_points_order(order: Order, event: str, uuid: str) -> PointsOrderMatch:
    if order.points_uuid is None:
        return PointsOrderMatch.FIRST
    if uuid == order.points_uuid:
        return PointsOrderMatch.SAME
    if event not in PAYMENT_EVENTS:
        return PointsOrderMatch.OTHER
    if order.status in (orders.PENDING_PAYMENT, orders.CANCELLED):
        return PointsOrderMatch.REPLACES
    return PointsOrderMatch.PAID_TWICE


def _apply(order: Order, event: str, points_order: PointsOrder) -> Effect:
    match = match_points_order(order, event, points_order.uuid)
    if match is PointsOrderMatch.OTHER:
        return Effect(
            Outcome.OTHER_POINTS_ORDER,
            f"about Points order {points_order.uuid}, not {order.points_uuid}; nothing changed",
        )
    if match is PointsOrderMatch.PAID_TWICE:
        # Money is never ignored: taken twice for one order, staff refund one of the two.
        if order.status != orders.NEEDS_REVIEW:
            orders.move(
                order,
                orders.NEEDS_REVIEW,
                source="webhook",
                reason=f"Points order {points_order.uuid} was also paid for this order: refund one of them.",
            )
        return Effect(
            Outcome.PAID_TWICE, f"another Points order ({points_order.uuid}) was paid for {order.order_number}"
        )

    effect = HANDLERS[event](order, points_order)
    # The order's Points order is the one that took the money, else the first one heard of; never
    # one known only from its cancel (a stale session's cancel must not hide the paying session).
    if match is PointsOrderMatch.REPLACES or (match is PointsOrderMatch.FIRST and event != "cancelled"):
        order.points_uuid = points_order.uuid
    if points_order.uuid == order.points_uuid:
        if points_order.reference_number:
            order.points_reference_number = points_order.reference_number
        # What Points reports about points on the order, kept as said (shown, never interpreted).
        if points_order.total_points is not None:
            order.points_total_points = points_order.total_points
        if points_order.payment_status:
            order.points_payment_status = points_order.payment_status
    return effect


# --- One handler per order event ----------------------------------------------------------------


def _status_event(status: str) -> Callable[[Order, PointsOrder], Effect]:
    def handle(order: Order, points_order: PointsOrder) -> Effect:
        return orders.apply_points_status(
            order, status, source="webhook", total_price=points_order.total_price, reason=points_order.reason
        )

    return handle


def _refunded(order: Order, points_order: PointsOrder) -> Effect:
    status = points_order.order_status
    if status not in ("fully_refunded", "partially_refunded"):
        left = points_order.left_amount
        status = "fully_refunded" if left is not None and left <= 0 else "partially_refunded"
    # left_amount, where present, is absolute: a refund delivered twice cannot count twice.
    return orders.apply_points_status(
        order,
        status,
        source="webhook",
        refund_amount=points_order.refund_amount,
        left_amount=points_order.left_amount,
        reason=points_order.reason,
    )


def _auto_refunded(order: Order, points_order: PointsOrder) -> Effect:
    # Points reversed the whole order itself: the checkout did not stay successful.
    return orders.apply_points_status(
        order, "fully_refunded", source="webhook", refund_amount=points_order.refund_amount, reason=points_order.reason
    )


def _completed(order: Order, points_order: PointsOrder) -> Effect:
    return Effect(Outcome.IGNORED, "completed follows approved; order_status stays approved")


def _shipping_status_updated(order: Order, points_order: PointsOrder) -> Effect:
    if points_order.status:
        order.shipping_status = points_order.status
    if points_order.custom_status is not None:
        order.shipping_label_ar = points_order.custom_status.ar or order.shipping_label_ar
        order.shipping_label_en = points_order.custom_status.en or order.shipping_label_en
    return Effect(Outcome.APPLIED, f"shipping status {order.shipping_status}")


HANDLERS: dict[str, Callable[[Order, PointsOrder], Effect]] = {
    "approved": _status_event("approved"),
    "authorized": _status_event("authorized"),
    "captured": _status_event("captured"),
    "cancelled": _status_event("cancelled"),
    "refunded": _refunded,
    "auto_refunded": _auto_refunded,
    "completed": _completed,
    "shipping_status_updated": _shipping_status_updated,
}
assert HANDLERS.keys() == payload.ORDER_EVENTS, "every order event parsed has its handler"


# --- Helpers ------------------------------------------------------------------------------------


def accepted_secrets() -> list[str]:
    """POINTS_WEBHOOK_SECRET, and POINTS_WEBHOOK_SECRET_NEXT while a new webhook rolls in: for as
    long as both are set, deliveries signed with either are accepted (README, rotation runbook)."""
    cfg = current_app.config
    return [s for s in (cfg["POINTS_WEBHOOK_SECRET"], cfg.get("POINTS_WEBHOOK_SECRET_NEXT")) if s]


def _secret_matches(given: Optional[str]) -> bool:
    if not given:
        return False  # never skip verification, not even with no secret configured
    # Each one compared in full, in constant time: which one matched is not given away by timing.
    matches = [hmac.compare_digest(given.encode(), secret.encode()) for secret in accepted_secrets()]
    return any(matches)


def _safe_headers(headers) -> dict:
    safe = {}
    for name in RECORDED_HEADERS:
        value = headers.get(name)
        if value is not None:
            safe[name] = mask_value(value) if name == "X-Webhook-Secret" else _storable(value)
    return safe


def _storable(text: str) -> str:
    """Text as a database keeps it: PostgreSQL refuses NUL in text, so a NUL is written as the
    six characters ``\\u0000`` (the JSON escape), and the body of a 400 can still be recorded."""
    return text.replace("\x00", "\\u0000")


def _already_processed(dedupe_key: str) -> bool:
    return db.session.scalar(sa.select(WebhookReceipt.id).where(WebhookReceipt.dedupe_key == dedupe_key)) is not None


def _receipt_row(
    receipt: Receipt, *, order_id: Optional[int] = None, dedupe_key: Optional[str] = None
) -> WebhookReceipt:
    return WebhookReceipt(
        order_id=order_id,
        event=receipt.event,
        order_number=receipt.order_number,
        points_uuid=receipt.points_uuid,
        headers=json.dumps(receipt.headers, sort_keys=True),
        body=receipt.body,
        dedupe_key=dedupe_key,
    )


def _record(
    receipt: Receipt, result: Result, *, order_id: Optional[int] = None, row: Optional[WebhookReceipt] = None
) -> Result:
    """Write the receipt and commit, together with whatever the delivery changed."""
    row = row if row is not None else _receipt_row(receipt, order_id=order_id)
    row.response_status, row.outcome, row.detail = result.status_code, result.outcome, result.detail
    db.session.add(row)
    db.session.commit()
    return result
