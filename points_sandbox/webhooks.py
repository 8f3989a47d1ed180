"""The webhook outbox: the bodies Points sends (order events and merchant events), written in
the same transaction as each change, one row per registered webhook. delivery.py sends them.

Imports only models and chaos, so orders, checkout and the worker may all import it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urljoin

import sqlalchemy as sa
from flask import current_app

from . import chaos as chaos_switches
from .extensions import db
from .models import Delivery, Merchant, Order, Webhook, laravel_iso, payment_status, stamp, utcnow

WORKER_KEY = "points_sandbox_worker"

ORDER_EVENTS = (
    "approved",
    "authorized",
    "captured",
    "cancelled",
    "completed",
    "refunded",
    "auto_refunded",
    "shipping_status_updated",
)
MERCHANT_EVENTS = ("low_balance_warning", "debt_exceeded")


def iso(moment: datetime | None) -> str | None:
    """The sandbox's own (control) times, to the microsecond; never in what Points sends."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else None


def order_payload(order: Order) -> dict:
    """The documented webhook shape of `order`: `id` is the uuid, `type` a string."""
    return {
        "id": order.uuid,
        "reference_number": order.reference_number,
        "order_number": order.order_number,
        "type": "earning" if order.type == 1 else "replacing",
        "total_price": float(order.total_price),
        # The points an earning order awards; on a replacing order, the points redeemed.
        "total_points": order.earned_points if order.type == 1 else order.redeemed_points,
        "payment_status": payment_status(order),
        "order_status": order.order_status,
        "metadata": order.meta,
        "created_at": laravel_iso(order.created_at),
        "updated_at": laravel_iso(order.updated_at),
    }


def enqueue(order: Order, event: str, **extras) -> list[Delivery]:
    """Record `event` for every webhook of the order's merchant; the caller commits.

    The body is built now, so each delivery carries the order as it was at this change.
    """
    return _record(order.merchant_id, event, order_body(order, event, **extras), order=order)


def order_body(order: Order, event: str, **extras) -> str:
    """The JSON body of an order event, as sent."""
    return json.dumps(
        {"event": event, "order": {**order_payload(order), **extras}, "timestamp": laravel_iso(stamp())},
        ensure_ascii=False,
    )


def merchant_payload(merchant: Merchant) -> dict:
    return {
        "id": merchant.id,
        "name": merchant.name,
        "created_at": laravel_iso(merchant.created_at),
        "updated_at": laravel_iso(merchant.updated_at),
    }


def money_string(amount: Decimal) -> str:
    """Amounts in merchant events are strings with two places, like `"1500.00"`."""
    return f"{Decimal(amount):.2f}"


def enqueue_merchant(merchant: Merchant, event: str, data: dict, origin: str | None) -> list[Delivery]:
    """A merchant-level event (`low_balance_warning`, `debt_exceeded`): no `order`, the
    merchant and the balance figures instead. `origin` resolves relative webhook URLs."""
    return _record(merchant.id, event, merchant_body(merchant, event, data), origin=origin)


def merchant_body(merchant: Merchant, event: str, data: dict) -> str:
    return json.dumps(
        {
            "event": event,
            "merchant": merchant_payload(merchant),
            "data": {key: money_string(value) for key, value in data.items()},
            "timestamp": laravel_iso(stamp()),
        },
        ensure_ascii=False,
    )


def enqueue_body(merchant_id: int, event: str, body: str, *, order: Order | None, origin: str) -> list[Delivery]:
    """Any body, sent verbatim (the control page's edited trigger): one delivery per webhook,
    chaos and retries as usual; `event` goes in X-Webhook-Event. Changes no order."""
    return _record(merchant_id, event, body, order=order, origin=origin)


def _record(
    merchant_id: int, event: str, body: str, *, order: Order | None = None, origin: str | None = None
) -> list[Delivery]:
    """One outbox row per webhook of the merchant, the chaos switches applied."""
    switches = chaos_switches.switches()
    due = utcnow() + timedelta(seconds=switches.webhook_delay_seconds)
    copies = 2 if switches.webhook_duplicate else 1
    hooks = db.session.scalars(sa.select(Webhook).where(Webhook.merchant_id == merchant_id)).all()
    made = []
    for hook in hooks:
        for _ in range(copies):
            delivery = Delivery(
                webhook_id=hook.id,
                order_id=order.id if order else None,
                event=event,
                payload=body,
                next_attempt_at=due,
                origin=origin,
            )
            if switches.webhook_drop_next > 0:
                switches.webhook_drop_next -= 1
                delivery.status, delivery.note = "dropped", "dropped by chaos switch"
            elif switches.webhook_reverse and order is not None:
                delivery.status, delivery.note = "held", "held by reverse-order chaos switch"
            db.session.add(delivery)
            made.append(delivery)
    if switches.webhook_reverse and order is not None:
        db.session.flush()
        held = db.session.scalars(
            sa.select(Delivery).where(Delivery.order_id == order.id, Delivery.status == "held")
        ).all()
        # Held until a later event of the same order arrives, then sent newest first.
        if len({d.event + d.payload for d in held}) > 1:
            release(held)
    db.session.flush()
    return made


def resend(original: Delivery) -> Delivery:
    """The same body to the same webhook again, as a new delivery with its own attempts
    (no chaos applied: it is an operator's explicit resend). The caller commits."""
    copy = Delivery(
        webhook_id=original.webhook_id,
        order_id=original.order_id,
        event=original.event,
        payload=original.payload,
        origin=original.origin,
        next_attempt_at=utcnow(),
        note=f"resent from delivery #{original.id}",
    )
    db.session.add(copy)
    db.session.flush()
    return copy


def release(held: list[Delivery]) -> None:
    """Send held deliveries, newest first (the reverse of the order they happened in)."""
    start = utcnow() + timedelta(seconds=chaos_switches.switches().webhook_delay_seconds)
    for position, delivery in enumerate(sorted(held, key=lambda d: d.id, reverse=True)):
        delivery.status = "pending"
        delivery.note = "released newest first by reverse-order chaos switch"
        delivery.next_attempt_at = start + timedelta(milliseconds=position)


def release_all_held() -> None:
    release(db.session.scalars(sa.select(Delivery).where(Delivery.status == "held")).all())


def notify() -> None:
    """Wake the worker after a commit that added deliveries."""
    worker = current_app.extensions.get(WORKER_KEY)
    if worker is not None:
        worker.wake()


def resolve_url(url: str, order: Order | None, origin: str | None = None) -> str | None:
    """Relative URLs (the seeded `/webhooks/points`) go to the origin the checkout came in on
    (or, for a merchant event, the one the control call that triggered it came in on)."""
    if url.startswith(("http://", "https://")):
        return url
    base = order.origin if order is not None and order.origin else origin
    if not base:
        return None
    return urljoin(base + "/", url)
