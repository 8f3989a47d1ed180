"""What is kept, and for how long: ``flask --app wsgi prune`` (cron in production, a background
thread in demo mode) deletes what has outlived its use, in batches that each commit on their own,
so the shop never waits long for a lock.

What an order's timeline shows (its calls to Points, its webhook receipts, whatever their
outcome) stays as long as the order. What goes, past its setting's number of days:

- webhook receipts about no order of ours (merchant events but the latest, other channels'
  orders, unknown events, unreadable bodies) and the counts of refused deliveries;
- calls to Points made for no order (webhook management, lookups of an unknown uuid);
- login attempts, staff submissions (the one-time keys of refund/cancel forms);
- carts that no order came from, untouched for that long;
- rate-limit windows over a day old.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import (
    Cart,
    CartLine,
    LoginAttempt,
    Order,
    OrderTransition,
    PointsApiCall,
    RateLimit,
    StaffSubmission,
    WebhookReceipt,
    WebhookVerificationFailure,
    utcnow,
)
from .points.orders import Outcome

BATCH = 1000  # rows per DELETE and commit: a short lock each, however much has piled up


@dataclass
class Rule:
    name: str
    table: type
    setting: str  # the number of days, from config
    stale: callable  # cutoff -> the WHERE clause of what may go


def _latest_merchant_event():
    return (
        sa.select(WebhookReceipt.id)
        .where(WebhookReceipt.outcome == Outcome.MERCHANT_EVENT, WebhookReceipt.order_id.is_(None))
        .order_by(WebhookReceipt.received_at.desc(), WebhookReceipt.id.desc())
        .limit(1)
        .scalar_subquery()
    )


RULES = [
    Rule(
        "webhook receipts about no order",
        WebhookReceipt,
        "WEBHOOK_RECEIPT_RETENTION_DAYS",
        lambda cutoff: sa.and_(
            WebhookReceipt.order_id.is_(None),
            WebhookReceipt.received_at < cutoff,
            WebhookReceipt.id != sa.func.coalesce(_latest_merchant_event(), 0),
            ~sa.exists().where(OrderTransition.webhook_receipt_id == WebhookReceipt.id),
        ),
    ),
    Rule(
        "refused-delivery counts",
        WebhookVerificationFailure,
        "WEBHOOK_RECEIPT_RETENTION_DAYS",
        lambda cutoff: WebhookVerificationFailure.hour < cutoff,
    ),
    Rule(
        "calls to Points for no order",
        PointsApiCall,
        "API_CALL_RETENTION_DAYS",
        lambda cutoff: sa.and_(
            PointsApiCall.order_id.is_(None),
            PointsApiCall.created_at < cutoff,
            ~sa.exists().where(OrderTransition.api_call_id == PointsApiCall.id),
        ),
    ),
    Rule(
        "login attempts", LoginAttempt, "LOGIN_ATTEMPT_RETENTION_DAYS", lambda cutoff: LoginAttempt.created_at < cutoff
    ),
    Rule(
        "staff submissions",
        StaffSubmission,
        "STAFF_SUBMISSION_RETENTION_DAYS",
        lambda cutoff: StaffSubmission.created_at < cutoff,
    ),
]


def prune(now: Optional[datetime] = None, batch: int = BATCH) -> dict[str, int]:
    """Delete what has outlived its setting, ``batch`` rows per transaction. Returns the count per kind."""
    now = now or utcnow()
    cfg = current_app.config
    deleted = {}
    for rule in RULES:
        cutoff = now - timedelta(days=cfg[rule.setting])
        deleted[rule.name] = _delete_in_batches(rule.table, rule.stale(cutoff), batch)
    deleted["abandoned carts"] = _prune_carts(now - timedelta(days=cfg["CART_RETENTION_DAYS"]), batch)
    deleted["rate-limit windows"] = _delete_in_batches(
        RateLimit, RateLimit.last_hit_at < now - timedelta(days=1), batch, key=RateLimit.key
    )
    return deleted


def _delete_in_batches(table, where, batch: int, key=None) -> int:
    key = key if key is not None else table.id
    total = 0
    while True:
        ids = db.session.scalars(sa.select(key).where(where).limit(batch)).all()
        if not ids:
            return total
        db.session.execute(sa.delete(table).where(key.in_(ids)), execution_options={"synchronize_session": False})
        db.session.commit()
        total += len(ids)
        if len(ids) < batch:
            return total


def _prune_carts(cutoff: datetime, batch: int) -> int:
    total = 0
    while True:
        ids = db.session.scalars(
            sa.select(Cart.id)
            .where(Cart.updated_at < cutoff, ~sa.exists().where(Order.cart_id == Cart.id))
            .limit(batch)
        ).all()
        if not ids:
            return total
        db.session.execute(
            sa.delete(CartLine).where(CartLine.cart_id.in_(ids)), execution_options={"synchronize_session": False}
        )
        db.session.execute(sa.delete(Cart).where(Cart.id.in_(ids)), execution_options={"synchronize_session": False})
        db.session.commit()
        total += len(ids)
        if len(ids) < batch:
            return total
