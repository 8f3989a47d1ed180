"""What staff read of the integration's health: Points' latest word about the merchant account,
and the webhook deliveries refused for a wrong secret."""

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import WebhookReceipt, utcnow
from . import payload
from .orders import Outcome
from .payload import MerchantEvent


@dataclass
class AccountHealth:
    """Points' latest word about the merchant account (a merchant event), for staff."""

    news: MerchantEvent
    received_at: datetime


def account_health() -> Optional[AccountHealth]:
    """The latest merchant event received, read again from its recorded body by the same parser."""
    receipt = db.session.scalar(
        sa.select(WebhookReceipt)
        .where(WebhookReceipt.outcome == Outcome.MERCHANT_EVENT)
        .order_by(WebhookReceipt.received_at.desc(), WebhookReceipt.id.desc())
        .limit(1)
    )
    if receipt is None:
        return None
    try:
        news = payload.parse(receipt.body.encode("utf-8"))
    except payload.Malformed:
        return None
    return AccountHealth(news, receipt.received_at) if isinstance(news, MerchantEvent) else None


def recent_failed_verifications() -> deque:
    """The last failed verifications seen by this process: the log line, kept for the admin."""
    return current_app.extensions.setdefault("points_failed_verifications", deque(maxlen=100))


def note_failed_verification(headers: dict) -> None:
    recent_failed_verifications().append({"at": utcnow(), "headers": headers})
