"""Settings of the Points sandbox, read from the environment with demo defaults.

`create_app(config)` lets tests override any of them with a plain dict.
"""

import os


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _delays(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def from_env() -> dict:
    return {
        # Relative sqlite paths are resolved by Flask-SQLAlchemy against the instance folder.
        "SQLALCHEMY_DATABASE_URI": os.environ.get("POINTS_SANDBOX_DATABASE_URL", "sqlite:///points_sandbox.db"),
        "SECRET_KEY": os.environ.get("POINTS_SANDBOX_SECRET_KEY", "points-sandbox-demo-secret"),
        # Its own cookie name, so it never clobbers the storefront's session when both
        # are served from the same host in demo mode.
        "SESSION_COOKIE_NAME": "points_sandbox_session",
        # The demo merchant seeded on first start.
        "SANDBOX_PUBLIC_KEY": os.environ.get("POINTS_SANDBOX_PUBLIC_KEY", "pk_sandbox_demo"),
        "SANDBOX_PRIVATE_KEY": os.environ.get("POINTS_SANDBOX_PRIVATE_KEY", "sk_sandbox_demo"),
        "SANDBOX_WEBHOOK_SECRET": os.environ.get("POINTS_SANDBOX_WEBHOOK_SECRET", "whsec_sandbox_demo"),
        # Relative URLs are resolved against the origin the checkout call came in on.
        "SANDBOX_SEEDED_WEBHOOK_URL": "/webhooks/points",
        # When set, replaces the seeded webhook's URL on every start.
        "SANDBOX_WEBHOOK_URL_OVERRIDE": os.environ.get("POINTS_SANDBOX_WEBHOOK_URL") or None,
        # Checkout sessions.
        "SANDBOX_SESSION_MINUTES": float(os.environ.get("SANDBOX_SESSION_MINUTES", "30")),
        "SANDBOX_REDIRECT_SECONDS": int(os.environ.get("SANDBOX_REDIRECT_SECONDS", "4")),
        # Points arithmetic, as read off the real pages.
        "SANDBOX_POINT_VALUE": os.environ.get("SANDBOX_POINT_VALUE", "0.03"),
        "SANDBOX_EARN_POINTS_PER_SAR": os.environ.get("SANDBOX_EARN_POINTS_PER_SAR", "1"),
        # Webhook delivery.
        "SANDBOX_WEBHOOK_WORKER": _bool("SANDBOX_WEBHOOK_WORKER", True),
        "SANDBOX_WEBHOOK_TIMEOUT": float(os.environ.get("SANDBOX_WEBHOOK_TIMEOUT", "10")),
        "SANDBOX_WEBHOOK_RETRY_DELAYS": _delays(os.environ.get("SANDBOX_WEBHOOK_RETRY_DELAYS", "1,5")),
        # How often the worker looks for expired checkout sessions.
        "SANDBOX_EXPIRY_SWEEP_SECONDS": float(os.environ.get("SANDBOX_EXPIRY_SWEEP_SECONDS", "1")),
    }
