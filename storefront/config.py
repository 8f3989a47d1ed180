"""Every setting, read from the environment, with visibly-demo defaults.

With no ``POINTS_API_URL`` the shop runs in *demo mode*: ``wsgi.py`` mounts the local
Points sandbox at ``/points-sandbox`` and the shop talks to it over HTTP at
``<this server>/points-sandbox/api``, exactly as it would talk to the real service.
"""
import os
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

DEMO_PUBLIC_KEY = "pk_sandbox_demo"
DEMO_PRIVATE_KEY = "sk_sandbox_demo"
DEMO_WEBHOOK_SECRET = "whsec_sandbox_demo"
DEMO_SECRET_KEY = "dev-only-secret-change-me"
DEMO_SANDBOX_PATH = "/points-sandbox"

def _env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def load_config():
    """Build the settings dict from the environment (called once per create_app)."""
    api_url = _env("POINTS_API_URL")
    return {
        "SECRET_KEY": _env("SECRET_KEY", DEMO_SECRET_KEY),
        # A relative SQLite path lives in the instance folder (Flask-SQLAlchemy creates it).
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", "sqlite:///storefront.db"),
        # The base URL up to and including /api; the client appends /v1/... as the OpenAPI paths read.
        "POINTS_API_URL": api_url.rstrip("/") if api_url else None,
        "POINTS_DEMO_MODE": api_url is None,
        "POINTS_PUBLIC_KEY": _env("POINTS_PUBLIC_KEY", DEMO_PUBLIC_KEY),
        "POINTS_PRIVATE_KEY": _env("POINTS_PRIVATE_KEY", DEMO_PRIVATE_KEY),
        "POINTS_WEBHOOK_SECRET": _env("POINTS_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET),
        "POINTS_TIMEOUT_SECONDS": float(_env("POINTS_TIMEOUT_SECONDS", "10")),
        # In demo mode, outside a request (CLI commands), where this server can be reached.
        "SHOP_BASE_URL": _env("SHOP_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # How long a Points checkout session lives; after that a pending order is given up.
        "CHECKOUT_SESSION_MINUTES": int(_env("CHECKOUT_SESSION_MINUTES", "30")),
        "SHIPPING_FLAT_RATE": Decimal(_env("SHIPPING_FLAT_RATE", "25.00")),
        "FREE_SHIPPING_FROM": Decimal(_env("FREE_SHIPPING_FROM", "300.00")),
        "PRODUCTION": _env("PRODUCTION", "0") in ("1", "true", "True"),
        # Behind N reverse proxies (TLS terminated there), trust their X-Forwarded-* headers, so
        # callback_url is https and the login slow-down sees the shopper's address, not the proxy's.
        "TRUSTED_PROXIES": int(_env("TRUSTED_PROXIES", "0")),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": _env("PRODUCTION", "0") in ("1", "true", "True"),
        # Send the session cookie only when the session changed, not re-signed on every page.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # No form or webhook here is anywhere near 1 MiB; refuse bigger bodies (413) unread.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
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

    Demo values stay fine for the demo and for the sandbox run alone on this machine.
    """
    if not (config.get("PRODUCTION") or talks_to_real_points(config)):
        return
    still_demo = [name for name, demo in DEMO_VALUES.items() if config.get(name) == demo]
    if config.get("PRODUCTION") and config.get("POINTS_DEMO_MODE"):
        still_demo.append("POINTS_API_URL")
    if still_demo:
        where = "in production" if config.get("PRODUCTION") else f"against {config.get('POINTS_API_URL')}"
        raise RuntimeError(f"Refusing to start {where} with demo settings: set " + ", ".join(sorted(still_demo)))
