"""Rate limits: :func:`take` counts hits per key in a fixed window with one atomic UPDATE per key,
so concurrent requests, processes and machines sharing the database all count. The login
slow-down (``admin/auth.py``) and the Pay button use it."""

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .database import begin_write
from .extensions import db
from .models import RateLimit, utcnow


@dataclass(frozen=True)
class Limit:
    """At most ``hits`` per ``window`` for ``key``; past that, if ``then_every`` is set, one more
    hit each time that long has passed since the last one (a slow-down rather than a wall)."""

    key: str
    hits: int
    window: timedelta
    then_every: timedelta | None = None


STALE = timedelta(days=1)  # rows untouched this long are deleted when a new key is added


def take(*limits: Limit) -> bool:
    """Count one hit on every limit, or (when any of them has no room) on none. Commits.

    Each hit is one conditional UPDATE, so two requests can never both take the last slot: on
    PostgreSQL the second waits for the first's row lock and re-checks the condition; on SQLite
    the write lock is taken before anything is read (``begin_write``).
    """
    now = utcnow()
    begin_write()
    for limit in limits:
        if not _hit(limit, now):
            db.session.rollback()
            return False
    db.session.commit()
    return True


def clear(*keys: str) -> None:
    """Forget the hits on these keys (a successful login clears its failures). Commits."""
    db.session.execute(sa.delete(RateLimit).where(RateLimit.key.in_([_bounded(k) for k in keys])))
    db.session.commit()


def _hit(limit: Limit, now) -> bool:
    key = _bounded(limit.key)
    if _count_hit(key, limit, now):
        return True
    if _insert_first_hit(key, now):
        return True
    # The row exists and is full, or another request created it a moment ago: count on it.
    return _count_hit(key, limit, now)


def _count_hit(key: str, limit: Limit, now) -> bool:
    new_window = RateLimit.window_started_at <= now - limit.window
    room = sa.or_(new_window, RateLimit.hits < limit.hits)
    if limit.then_every is not None:
        room = sa.or_(room, RateLimit.last_hit_at <= now - limit.then_every)
    return (
        db.session.execute(
            sa.update(RateLimit)
            .where(RateLimit.key == key, room)
            .values(
                hits=sa.case((new_window, 1), else_=RateLimit.hits + 1),
                window_started_at=sa.case((new_window, now), else_=RateLimit.window_started_at),
                last_hit_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _insert_first_hit(key: str, now) -> bool:
    db.session.execute(sa.delete(RateLimit).where(RateLimit.last_hit_at < now - STALE))
    values = {"key": key, "window_started_at": now, "hits": 1, "last_hit_at": now}
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the shop runs on SQLite or PostgreSQL
        raise NotImplementedError(f"rate limits need ON CONFLICT, which {dialect} lacks here")
    statement = insert(RateLimit).values(**values).on_conflict_do_nothing(index_elements=["key"])
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here.
    return db.session.execute(statement.returning(RateLimit.key)).scalar() is not None


def client_address(remote_addr: str | None) -> str:
    """Who is counted: the IPv4 address, or the IPv6 /64 (one subscriber holds a whole /64, so
    counting single IPv6 addresses would give an attacker billions of fresh counters)."""
    try:
        ip = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return remote_addr or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _bounded(key: str) -> str:
    """Keys hold what an attacker typed (an email): keep them within the column."""
    if len(key) <= 200:
        return key
    return key[:100] + "#" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


# --- The Pay button -----------------------------------------------------------------------------

CHECKOUT_WINDOW = timedelta(minutes=1)


def take_checkout_slot(cart_id: int, address: str | None) -> bool:
    """One Pay press that may reach Points: per address and per cart, per minute (settings)."""
    config = current_app.config
    return take(
        Limit(f"checkout-address:{client_address(address)}", config["CHECKOUT_LIMIT_PER_ADDRESS"], CHECKOUT_WINDOW),
        Limit(f"checkout-cart:{cart_id}", config["CHECKOUT_LIMIT_PER_CART"], CHECKOUT_WINDOW),
    )
