"""What a merchant's security review asks of every request and response of the shop.

- Headers: a Content-Security-Policy with no inline script or style, no framing, ``nosniff``,
  a Referrer-Policy that keeps paths (and the order token in ``callback_url``) on this site, and
  HSTS in production. They are added by the shop's ``after_request``, so the embedded sandbox
  (another WSGI app, mounted beside the shop in demo mode) keeps its own pages' rules.
- The shop's own address: in production ``callback_url`` is built from ``SHOP_BASE_URL``, and
  Flask's ``TRUSTED_HOSTS`` answers 400 to any other Host header (config.py).
- Odd input: a NUL byte anywhere in the path, query string or form is a 400 before a view runs
  (PostgreSQL refuses NUL in text, which would be a 500 deep inside a query).
- Rate limits: :func:`take` counts hits per key in a fixed window with one atomic UPDATE per key,
  so concurrent requests, processes and machines sharing the database all count. The login
  slow-down (``admin/auth.py``) and the Pay button use it.
"""

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import BadRequest, SecurityError

from . import demo
from .extensions import csrf, db
from .models import RateLimit, utcnow
from .transactions import begin_write

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
HSTS = "max-age=31536000"
MAX_PAGE = 10_000  # past it the offset would overflow PostgreSQL's bigint; nobody pages that far


def install(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)
    # A Host that TRUSTED_HOSTS refuses leaves no URL adapter, so the usual error page (which
    # builds URLs) cannot render: answer in plain text.
    app.register_error_handler(
        SecurityError,
        lambda e: (
            "Bad request: this shop does not answer to that host name.",
            400,
            {"Content-Type": "text/plain; charset=utf-8"},
        ),
    )


# --- Forms ---------------------------------------------------------------------------------------


def protect_forms():
    """Flask-WTF's CSRF check for every form (the webhook is ``csrf.exempt``), asked only of the
    methods it protects. Its own hook, off by ``WTF_CSRF_CHECK_DEFAULT``, looked up the view's
    exemption on every GET too: a twentieth of a kept page."""
    config = current_app.config
    if config["WTF_CSRF_ENABLED"] and request.method in config["WTF_CSRF_METHODS"]:
        csrf.protect(apply_exemptions=True)


# --- Headers ------------------------------------------------------------------------------------


def add_security_headers(response):
    # Added, not set: no view of the shop sends these itself, and ``add`` is a third of the cost.
    response.headers.extend(
        [
            ("Content-Security-Policy", content_security_policy()),
            ("X-Frame-Options", "DENY"),  # frame-ancestors' twin, for browsers that predate it
            ("X-Content-Type-Options", "nosniff"),
            # Same-site requests keep the full Referer (Flask-WTF's HTTPS CSRF check reads it); other
            # sites get only the origin, never a path with an order token in it.
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ]
    )
    if current_app.config["PRODUCTION"]:
        response.headers.add("Strict-Transport-Security", HSTS)
    return response


def content_security_policy() -> str:
    """Only this site's own files run, style or load; nothing frames the shop; forms post here,
    and the 303 after Pay may go on to Points' hosted checkout (Chromium checks form-action on
    the redirects that follow a form submission)."""
    return _policy(tuple(points_checkout_origins()))


@lru_cache(maxsize=64)  # one policy per set of Points origins: the same on every response
def _policy(checkout_origins: tuple[str, ...]) -> str:
    form_action = " ".join(dict.fromkeys(["'self'", *checkout_origins]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            f"form-action {form_action}",
        ]
    )


def points_checkout_origins() -> list[str]:
    """Where a shopper's browser may be sent to pay: POINTS_API_URL's origin (in demo mode, the
    embedded sandbox at this server's own address) and POINTS_CHECKOUT_ORIGINS."""
    api_url = current_app.config["POINTS_API_URL"] or demo.sandbox_api_url()
    return [_origin(api_url), *current_app.config.get("POINTS_CHECKOUT_ORIGINS", [])]


def checkout_origin_allowed(checkout_url: str) -> bool:
    """Whether the CSP lets the browser follow the 303 to this checkout_url."""
    target = urlsplit(checkout_url)
    for allowed in [f"{request.scheme}://{request.host}", *points_checkout_origins()]:
        source = urlsplit(allowed)
        wildcard = source.netloc.startswith("*.")
        if source.scheme == target.scheme and (
            source.netloc == target.netloc or wildcard and target.netloc.endswith(source.netloc[1:])
        ):
            return True
    return False


@lru_cache(maxsize=64)  # asked on every response, of the same few addresses
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- The shop's own address -----------------------------------------------------------------------


def external_url_for(endpoint: str, **values) -> str:
    """An absolute URL of this shop for another party to send the shopper back to (callback_url).

    In production it is built from SHOP_BASE_URL, never from the Host header: a forged Host would
    otherwise make Points send the shopper to that host. In demo mode, from the request, so the
    demo works on any host and port.
    """
    if not current_app.config["PRODUCTION"]:
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(current_app.config["SHOP_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


# --- Odd input ----------------------------------------------------------------------------------


def refuse_nul_bytes():
    """No field, path or parameter of this shop takes a NUL byte; PostgreSQL cannot store one."""
    suspects = [request.path]
    if request.query_string:
        suspects += _words(request.args)
    if request.method not in ("GET", "HEAD") and request.mimetype in FORM_TYPES:
        suspects += _words(request.form)
    if any("\x00" in text for text in suspects):
        raise BadRequest(gettext("The request contains a NUL character, which nothing in this shop accepts."))


def _words(multidict) -> list[str]:
    return [text for key, value in multidict.items(multi=True) for text in (key, value)]


def page_number() -> int:
    """``?page=`` for a paginated list: from 1 to MAX_PAGE whatever was typed."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


# --- Rate limits --------------------------------------------------------------------------------


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
