"""What staff read of the integration's health: Points' latest word about the merchant account,
and the webhook deliveries refused for a wrong secret."""

import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from ..extensions import db
from ..models import Order, PointsApiCall, PointsEarning, WebhookReceipt, WebhookVerificationFailure, utcnow
from ..pagination import capped_counts
from . import earn, orders, payload
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
        .where(WebhookReceipt.outcome == Outcome.MERCHANT_EVENT, WebhookReceipt.order_id.is_(None))
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


# Rows one hour may add, whatever an attacker sends from however many addresses: past it, every
# other source is counted under "other".
MAX_SOURCES_PER_HOUR = 200
SAMPLE_HEADERS_MAX = 500  # characters of the first delivery's headers kept per row


def source_network(address: Optional[str]) -> str:
    """Where a refused delivery came from: the IPv4 address, or the IPv6 /64 (one host's range)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def note_failed_verification(reason: str, source: str, headers: dict) -> None:
    """Count one refused delivery in its (hour, reason, source) row, in a transaction of its own:
    every process sees it, and a flood grows a number, never the disk. Never the body."""
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    sample = json.dumps(headers, sort_keys=True)[:SAMPLE_HEADERS_MAX]
    table = WebhookVerificationFailure.__table__
    with db.engine.begin() as conn:
        if _count_in(conn, hour, reason, source, now):
            return
        sources = conn.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.hour == hour))
        if sources >= MAX_SOURCES_PER_HOUR:
            source = "other"
            if _count_in(conn, hour, reason, source, now):
                return
        try:
            with conn.begin_nested():
                conn.execute(
                    table.insert().values(
                        hour=hour,
                        reason=reason,
                        source=source,
                        count=1,
                        first_at=now,
                        last_at=now,
                        sample_headers=sample,
                    )
                )
        except sa.exc.IntegrityError:  # another worker made the row a moment ago: count in it
            _count_in(conn, hour, reason, source, now)


def _count_in(conn, hour, reason, source, now) -> bool:
    table = WebhookVerificationFailure.__table__
    done = conn.execute(
        table.update()
        .where(table.c.hour == hour, table.c.reason == reason, table.c.source == source)
        .values(count=table.c.count + 1, last_at=now)
    )
    return done.rowcount > 0


def recent_failed_verifications(limit: int = 50) -> list[WebhookVerificationFailure]:
    """The refused deliveries of the last days, busiest hour-and-source first within each hour."""
    return list(
        db.session.scalars(
            sa.select(WebhookVerificationFailure)
            .order_by(WebhookVerificationFailure.hour.desc(), WebhookVerificationFailure.count.desc())
            .limit(limit)
        )
    )


def failed_verifications_since(since: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(WebhookVerificationFailure.count), 0)).where(
            WebhookVerificationFailure.hour >= since.replace(minute=0, second=0, microsecond=0)
        )
    )


# --- The health page: what on-call looks at first -----------------------------------------------

HEALTH_WINDOW = timedelta(hours=1)
# How a call's answer is counted: the statuses the go-live checklist asks alerts on, and the rest.
CALL_BUCKETS = ("ok", "400", "403", "404", "422", "429", "5xx", "timeout", "connection")
STALE_AFTER = timedelta(minutes=15)
HEALTH_ROWS_MAX = 100_000  # rows of one hour counted at most (a flood says enough before that)  # as the reconcile cron line's --older-than


def call_bucket_clause(bucket: str):
    """The WHERE clause of one bucket, on PointsApiCall (the orders list shows the orders behind it)."""
    status, error = PointsApiCall.response_status, PointsApiCall.error
    return {
        "ok": status.between(200, 299),
        "5xx": status >= 500,
        "timeout": status.is_(None) & error.like("timeout%"),
        "connection": status.is_(None) & ~error.like("timeout%"),
    }.get(bucket, status == (int(bucket) if bucket.isdigit() else -1))


def bucket_of(status: Optional[int], timed_out: bool) -> str:
    """The bucket of one call: its HTTP status, 5xx, or no answer (timeout, connection)."""
    if status is None:
        return "timeout" if timed_out else "connection"
    if status >= 500:
        return "5xx"
    return "ok" if 200 <= status < 300 else str(status)


@dataclass
class Health:
    since: datetime
    calls: dict  # endpoint -> {bucket: count}
    webhooks: dict  # outcome -> count
    failed_verifications: int
    waiting_for_reconciliation: int
    needs_review: int
    merchant_events: list
    earnings: dict  # EARNING_BACKLOG's key -> how many cash-on-delivery earnings are in it


# The earning backlog of cash-on-delivery orders, as staff read it: still to reach Points (due, or
# being sent, or sent without a clear answer and waiting for its webhook), refused by Points (its
# message is on the order), and waiting for the shopper to activate their Points account.
EARNING_BACKLOG = {
    "unsent": (earn.PENDING, earn.SENDING, earn.AWAITING_WEBHOOK),
    "refused": (earn.REFUSED,),
    "activation": (earn.PENDING_ACTIVATION,),
}


def health_summary(now: Optional[datetime] = None) -> Health:
    """The last hour of calls and webhooks, and the orders someone must look at. Every query is
    a range of an index (created_at, received_at, status), however big the tables grow."""
    now = now or utcnow()
    since = now - HEALTH_WINDOW
    calls: dict[str, dict[str, int]] = {}
    # A literal, not a bound parameter: PostgreSQL must see the grouped expression as the selected one.
    timed_out = PointsApiCall.error.like(sa.literal_column("'timeout%'"))
    rows = db.session.execute(
        sa.select(PointsApiCall.endpoint, PointsApiCall.response_status, timed_out, sa.func.count())
        .where(PointsApiCall.created_at >= since)
        .group_by(PointsApiCall.endpoint, PointsApiCall.response_status, timed_out)
    ).all()
    for endpoint, status, timed_out, count in rows:
        per = calls.setdefault(endpoint or "?", dict.fromkeys(CALL_BUCKETS, 0))
        bucket = bucket_of(status, bool(timed_out))
        per[bucket] = per.get(bucket, 0) + count
    # Read off the received_at index (a bounded range), then counted: grouping the whole table by
    # outcome would walk the outcome index from end to end.
    recent = (
        sa.select(WebhookReceipt.outcome)
        .where(WebhookReceipt.received_at >= since)
        .order_by(WebhookReceipt.received_at)
        .limit(HEALTH_ROWS_MAX)
        .subquery()
    )
    webhooks = dict(db.session.execute(sa.select(recent.c.outcome, sa.func.count()).group_by(recent.c.outcome)).all())
    # Every figure of "orders waiting for someone" in one round trip.
    counts = capped_counts(
        {
            "waiting": sa.select(Order.id).where(
                Order.status.in_(orders.AWAITING_POINTS), Order.created_at < now - STALE_AFTER
            ),
            "review": sa.select(Order.id).where(Order.status == orders.NEEDS_REVIEW),
            **{
                key: sa.select(PointsEarning.id).where(PointsEarning.state.in_(states))
                for key, states in EARNING_BACKLOG.items()
            },
        }
    )
    events = db.session.scalars(
        sa.select(WebhookReceipt)
        .where(WebhookReceipt.outcome == Outcome.MERCHANT_EVENT, WebhookReceipt.order_id.is_(None))
        .order_by(WebhookReceipt.received_at.desc(), WebhookReceipt.id.desc())
        .limit(5)
    ).all()
    return Health(
        since=since,
        calls=dict(sorted(calls.items())),
        webhooks=dict(sorted(webhooks.items())),
        failed_verifications=failed_verifications_since(since),
        waiting_for_reconciliation=counts["waiting"],
        needs_review=counts["review"],
        merchant_events=events,
        earnings={key: counts[key] for key in EARNING_BACKLOG},
    )
