"""First-start data: the demo merchant with its webhook, and the three test shoppers."""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from . import chaos
from .extensions import db
from .models import Chaos, Merchant, Shopper, Webhook, stamp

# points-decisions.md, "The sandbox's shoppers". 500000003 has no account: not seeded.
TEST_SHOPPERS = {"500000001": 5000, "500000002": 0}


def seed_shoppers() -> None:
    for phone, balance in TEST_SHOPPERS.items():
        shopper = db.session.scalar(sa.select(Shopper).where(Shopper.phone == phone))
        if shopper is None:
            db.session.add(Shopper(phone=phone, balance=balance))
        else:
            shopper.balance = balance
    db.session.commit()


def seed_chaos() -> None:
    """The single row of chaos switches, made at start: made lazily, two concurrent first
    requests would both insert id 1 and one would fail."""
    if db.session.get(Chaos, 1) is not None:
        return
    db.session.add(Chaos(id=1, **chaos.DEFAULTS))
    try:
        db.session.commit()
    except IntegrityError:  # another process starting on the same database made it
        db.session.rollback()


# Columns added after a database may already exist: create_all() makes missing tables only, so
# a sandbox database from an older version gets these added (SQLite and PostgreSQL alike).
ADDED_COLUMNS = {
    "merchants": {
        "refund_window_days": "INTEGER",
        "created_at": "TIMESTAMP",
        "updated_at": "TIMESTAMP",
        "earn_points_per_sar": "NUMERIC(10, 2) NOT NULL DEFAULT 10",
        "earning_enabled": "BOOLEAN NOT NULL DEFAULT TRUE",
        "earning_lock": "VARCHAR(40)",
        "earning_lock_until": "TIMESTAMP",
    },
    "orders": {
        "settled_at": "TIMESTAMP",
        "version": "INTEGER NOT NULL DEFAULT 0",
        "pending_activation": "BOOLEAN NOT NULL DEFAULT FALSE",
    },
    "deliveries": {"origin": "VARCHAR(255)"},
    "chaos": {
        "callback_params": "BOOLEAN NOT NULL DEFAULT TRUE",
        "forbid_merchant": "BOOLEAN NOT NULL DEFAULT FALSE",
        "forbid_ip": "BOOLEAN NOT NULL DEFAULT FALSE",
        "earning_fail_status": "INTEGER",
        "earning_fail_next": "INTEGER NOT NULL DEFAULT 0",
        "earning_retry_after": "INTEGER NOT NULL DEFAULT 1",
        "earning_hang_seconds": "FLOAT NOT NULL DEFAULT 0",
        "earning_hang_next": "INTEGER NOT NULL DEFAULT 0",
        "earning_delay_seconds": "FLOAT NOT NULL DEFAULT 0",
        "checkout_delay_seconds": "FLOAT NOT NULL DEFAULT 0",
    },
}


def add_missing_columns() -> None:
    inspector = sa.inspect(db.engine)
    with db.engine.begin() as connection:
        for table, columns in ADDED_COLUMNS.items():
            present = {c["name"] for c in inspector.get_columns(table)}
            for name, ddl in columns.items():
                if name not in present:
                    connection.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))
        # Merchants from before had no timestamps: stamp them now, to the second.
        connection.execute(
            sa.text("UPDATE merchants SET created_at = :now, updated_at = :now WHERE created_at IS NULL"),
            {"now": stamp()},
        )


def seed() -> None:
    config = current_app.config
    seed_chaos()
    if db.session.scalar(sa.select(Merchant.id).limit(1)) is None:
        merchant = Merchant(
            name="Points Storefront (demo)",
            public_key=config["SANDBOX_PUBLIC_KEY"],
            private_key=config["SANDBOX_PRIVATE_KEY"],
        )
        merchant.webhooks.append(
            Webhook(
                name="Storefront",
                url=config["SANDBOX_SEEDED_WEBHOOK_URL"],
                secret=config["SANDBOX_WEBHOOK_SECRET"],
                seeded=True,
            )
        )
        db.session.add(merchant)
        db.session.commit()
        seed_shoppers()
    override = config["SANDBOX_WEBHOOK_URL_OVERRIDE"]
    if override:
        db.session.execute(sa.update(Webhook).where(Webhook.seeded.is_(True)).values(url=override))
        db.session.commit()
