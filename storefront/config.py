"""Every setting, read from the environment, with visibly-demo defaults.

With no ``POINTS_API_URL`` the shop runs in *demo mode*: ``wsgi.py`` mounts the local
Points sandbox at ``/points-sandbox`` and the shop talks to it over HTTP at
``<this server>/points-sandbox/api``, exactly as it would talk to the real service.
"""

import math
import os
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

DEMO_PUBLIC_KEY = "pk_sandbox_demo"
DEMO_PRIVATE_KEY = "sk_sandbox_demo"
DEMO_WEBHOOK_SECRET = "whsec_sandbox_demo"
DEMO_SECRET_KEY = "dev-only-secret-change-me"
DEMO_SANDBOX_PATH = "/points-sandbox"
# The demo's staff login, made at start in demo mode only (database.py) and shown on its login page.
DEMO_ADMIN_EMAIL = "demo@points-storefront.test"
DEMO_ADMIN_PASSWORD = "demo-password"
DEMO_SHOP_BASE_URL = "http://127.0.0.1:5000"
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(RuntimeError):
    """The environment cannot run the shop: one message naming every setting to fix."""


def _env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _env_bool(name: str, default: bool = False) -> bool:
    """1/0, true/false, yes/no, on/off in any case. Anything else stops the start: a PRODUCTION=y
    that silently meant "demo" would run a shop with demo secrets."""
    text = _env(name)
    if text is None:
        return default
    if text.strip().lower() in TRUE_WORDS:
        return True
    if text.strip().lower() in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be one of 1/0, true/false, yes/no, on/off (got {text!r})")


def _env_number(name: str, default: str, kind=int, minimum=0):
    """An int, float or Decimal setting; a typo stops the start with the variable's name."""
    text = _env(name, default)
    try:
        value = kind(text.strip())
        usable = math.isfinite(value) and value >= minimum
    except (ValueError, ArithmeticError):
        raise SettingsError(f"{name} must be a number (got {text!r})") from None
    if not usable:
        raise SettingsError(f"{name} must be a number from {minimum} up (got {text!r})")
    return value


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in (_env(name) or "").split(",") if item.strip()]


def load_config():
    """Build the settings dict from the environment (called once per create_app)."""
    api_url = _env("POINTS_API_URL")
    database_url = _env("DATABASE_URL", "sqlite:///storefront.db")
    production = _env_bool("PRODUCTION")
    shop_base_url = _env("SHOP_BASE_URL", DEMO_SHOP_BASE_URL).rstrip("/")
    trusted_hosts = [h.strip() for h in (_env("TRUSTED_HOSTS") or "").split(",") if h.strip()]
    if production or trusted_hosts:
        # Flask answers 400 to any other Host (or X-Forwarded-Host behind a trusted proxy).
        trusted_hosts = list(dict.fromkeys([urlsplit(shop_base_url).hostname or "", *trusted_hosts]))
    return {
        "SECRET_KEY": _env("SECRET_KEY", DEMO_SECRET_KEY),
        # Older keys, comma-separated, still accepted for sessions signed before SECRET_KEY rolled
        # (Flask 3.1's own setting): staff and shoppers stay signed in while the key changes.
        "SECRET_KEY_FALLBACKS": _env_list("SECRET_KEY_FALLBACKS"),
        # A relative SQLite path lives in the instance folder (Flask-SQLAlchemy creates it).
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A database server's pooled connections are tested before use: after a PostgreSQL restart
        # a stale one is replaced instead of failing the request that drew it. A SQLite file has
        # no server to lose, so its connections are not pinged.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        # The base URL up to and including /api; the client appends /v1/... as the OpenAPI paths read.
        "POINTS_API_URL": api_url.rstrip("/") if api_url else None,
        "POINTS_DEMO_MODE": api_url is None,
        "POINTS_PUBLIC_KEY": _env("POINTS_PUBLIC_KEY", DEMO_PUBLIC_KEY),
        "POINTS_PRIVATE_KEY": _env("POINTS_PRIVATE_KEY", DEMO_PRIVATE_KEY),
        "POINTS_WEBHOOK_SECRET": _env("POINTS_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET),
        # The secret of the second webhook registered while the secret rolls (README, runbook):
        # deliveries with either secret are accepted for as long as both are set.
        "POINTS_WEBHOOK_SECRET_NEXT": _env("POINTS_WEBHOOK_SECRET_NEXT"),
        "POINTS_TIMEOUT_SECONDS": _env_number("POINTS_TIMEOUT_SECONDS", "10", float),
        # Origins of Points' hosted checkout besides POINTS_API_URL's (its docs show pay.papp.sa):
        # the browser follows the 303 after Pay only to origins the CSP's form-action lists.
        "POINTS_CHECKOUT_ORIGINS": [origin_of(u) for u in (_env("POINTS_CHECKOUT_ORIGINS") or "").split()],
        # The shop's own public address. In production callback_url is built from it (never from
        # the Host header); in demo mode it is where CLI commands reach the embedded sandbox.
        "SHOP_BASE_URL": shop_base_url,
        "TRUSTED_HOSTS": trusted_hosts or None,
        # Earning (cash on delivery): after an ambiguous answer (timeout, 5xx) wait this long for
        # the earning order's webhook before sending again (decisions: "Ambiguous answer").
        "EARN_RETRY_AFTER_SECONDS": _env_number("EARN_RETRY_AFTER_SECONDS", "120", float),
        # The background sender of demo mode (production: `flask --app wsgi points send-earnings`).
        "POINTS_EARN_SENDER": _env_bool("POINTS_EARN_SENDER", api_url is None),
        # Points per SAR the widgets show (the merchant's earning rate at Points), and the loader's
        # address (unset: the Points origin + /widget-loader.js, or the embedded sandbox's).
        "POINTS_EARN_PER_SAR": _env_number("POINTS_EARN_PER_SAR", "10", Decimal),
        "POINTS_WIDGET_LOADER_URL": _env("POINTS_WIDGET_LOADER_URL"),
        # How long a Points checkout session lives; after that a pending order is given up.
        "CHECKOUT_SESSION_MINUTES": _env_number("CHECKOUT_SESSION_MINUTES", "30"),
        # Pay presses per minute that may reach Points, per address and per cart (429 past them).
        "CHECKOUT_LIMIT_PER_ADDRESS": _env_number("CHECKOUT_LIMIT_PER_ADDRESS", "10"),
        "CHECKOUT_LIMIT_PER_CART": _env_number("CHECKOUT_LIMIT_PER_CART", "5"),
        # A staff session ends after this long without a request, and this long after login.
        "ADMIN_IDLE_MINUTES": _env_number("ADMIN_IDLE_MINUTES", "30", minimum=1),
        "ADMIN_SESSION_HOURS": _env_number("ADMIN_SESSION_HOURS", "12", minimum=1),
        "SHIPPING_FLAT_RATE": _env_number("SHIPPING_FLAT_RATE", "25.00", Decimal),
        "FREE_SHIPPING_FROM": _env_number("FREE_SHIPPING_FROM", "300.00", Decimal),
        "PRODUCTION": production,
        # Behind N reverse proxies (TLS terminated there), trust their X-Forwarded-* headers, so
        # callback_url is https and the login slow-down sees the shopper's address, not the proxy's.
        "TRUSTED_PROXIES": _env_number("TRUSTED_PROXIES", "0"),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": production,
        # Send the session cookie only when the session changed, not re-signed on every page.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # No form or webhook here is anywhere near 1 MiB; refuse bigger bodies (413) unread.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Retention (retention.py, `flask --app wsgi prune`): what is older than this many days
        # goes. What an order's timeline shows stays as long as the order.
        "WEBHOOK_RECEIPT_RETENTION_DAYS": _env_number("WEBHOOK_RECEIPT_RETENTION_DAYS", "90", minimum=1),
        "API_CALL_RETENTION_DAYS": _env_number("API_CALL_RETENTION_DAYS", "90", minimum=1),
        "LOGIN_ATTEMPT_RETENTION_DAYS": _env_number("LOGIN_ATTEMPT_RETENTION_DAYS", "30", minimum=1),
        "CART_RETENTION_DAYS": _env_number("CART_RETENTION_DAYS", "60", minimum=1),
        "STAFF_SUBMISSION_RETENTION_DAYS": _env_number("STAFF_SUBMISSION_RETENTION_DAYS", "30", minimum=1),
        # Demo mode reconciles and prunes by itself in a background thread (housekeeping.py); in
        # production cron runs the same commands (README). Off in tests unless a test asks.
        "HOUSEKEEPING_THREAD": _env_bool("HOUSEKEEPING_THREAD", api_url is None),
    }


DEMO_VALUES = {
    "SECRET_KEY": DEMO_SECRET_KEY,
    "POINTS_PUBLIC_KEY": DEMO_PUBLIC_KEY,
    "POINTS_PRIVATE_KEY": DEMO_PRIVATE_KEY,
    "POINTS_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
}


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def talks_to_real_points(config) -> bool:
    """POINTS_API_URL names a host off this machine (the real Points, sandbox or production)."""
    host = urlsplit(config.get("POINTS_API_URL") or "").hostname or ""
    return bool(host) and host not in LOCAL_HOSTS and not host.endswith((".localhost", ".test", ".invalid"))


def refuse_demo_values_in_production(config):
    """No demo secret in production, nor against a real Points: the demo SECRET_KEY would let
    anyone sign a staff session, the demo webhook secret would let anyone confirm an order.

    Demo values stay fine for the demo and for the sandbox run alone on this machine. Raises one
    :class:`SettingsError` naming every setting to fix, not just the first.
    """
    if not (config.get("PRODUCTION") or talks_to_real_points(config)):
        return
    still_demo = [name for name, demo in DEMO_VALUES.items() if config.get(name) == demo]
    if config.get("PRODUCTION") and config.get("POINTS_DEMO_MODE"):
        still_demo.append("POINTS_API_URL")
    problems = []
    if still_demo:
        problems.append("still the demo's value (set each in the environment): " + ", ".join(sorted(still_demo)))
    if config.get("PRODUCTION"):
        problems += weak_production_settings(config, skip=still_demo)
    if problems:
        where = "in production" if config.get("PRODUCTION") else f"against {config.get('POINTS_API_URL')}"
        raise SettingsError(f"Refusing to start {where}:\n" + "\n".join(f"  - {p}" for p in problems))


def weak_production_settings(config, skip=()) -> list[str]:
    """A guessable SECRET_KEY signs anyone a staff session; callback_url and the Host check need
    the shop's real https address."""
    problems = []
    if "SECRET_KEY" not in skip and len(config.get("SECRET_KEY") or "") < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters "
            "(python3 -c 'import secrets; print(secrets.token_hex())')"
        )
    shop = urlsplit(config.get("SHOP_BASE_URL") or "")
    if shop.scheme != "https" or not shop.hostname or config.get("SHOP_BASE_URL") == DEMO_SHOP_BASE_URL:
        problems.append("SHOP_BASE_URL must be the shop's public https address, e.g. https://shop.example.com")
    return problems
