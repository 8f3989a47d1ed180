"""The sandbox's tables: merchants and their webhooks, shoppers, orders, checkout sessions,
the webhook outbox with its attempts, and the chaos switches."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime, timezone
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

Money = sa.Numeric(12, 2)


def utcnow() -> datetime:
    """Naive UTC with microseconds, for the sandbox's own bookkeeping (the outbox schedule, the
    attempt log, session clocks), where ordering within one second matters."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def stamp() -> datetime:
    """Naive UTC to the second: what Points (Laravel) stores in `created_at`/`updated_at` and
    sends as the webhook `timestamp`. Two changes within one second carry the same stamp."""
    return utcnow().replace(microsecond=0)


def laravel_iso(moment: datetime | None) -> str | None:
    """`2026-04-18T10:05:12.000000Z`: Laravel's ISO-8601 serialisation of a second-precision
    timestamp (microseconds always zero)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z") if moment else None


def new_uuid() -> str:
    return str(uuidlib.uuid4())


class Merchant(db.Model):
    __tablename__ = "merchants"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    public_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    private_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Two-step merchants get `authorized` then `captured` instead of `approved`.
    two_step: Mapped[bool] = mapped_column(default=False)
    # Refunds refused (400 `Refund not allowed`) once the order was settled this many days ago;
    # None = no window (the default), 0 = every settled order is already past it.
    refund_window_days: Mapped[Optional[int]]
    # Earning orders: total_points = floor(total_price × this); a merchant without the earning
    # channel enabled gets 403 `Merchant is not allowed to create earning orders`.
    earn_points_per_sar: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), default=Decimal("10"), server_default="10")
    earning_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Points' per-merchant distributed lock around earning calls: a token and its expiry, taken
    # and released by compare-and-set, so it holds across threads and processes alike.
    earning_lock: Mapped[Optional[str]] = mapped_column(sa.String(40))
    earning_lock_until: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=stamp)
    updated_at: Mapped[datetime] = mapped_column(default=stamp)

    webhooks: Mapped[list[Webhook]] = relationship(back_populates="merchant", order_by="Webhook.id")


class Webhook(db.Model):
    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_uuid)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"))
    name: Mapped[str] = mapped_column(sa.String(255))
    url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str] = mapped_column(sa.String(100))
    # The webhook made at first start; POINTS_SANDBOX_WEBHOOK_URL rewrites its URL.
    seeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=stamp)
    updated_at: Mapped[datetime] = mapped_column(default=stamp)

    merchant: Mapped[Merchant] = relationship(back_populates="webhooks")


class Shopper(db.Model):
    __tablename__ = "shoppers"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(9), unique=True)
    balance: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(db.Model):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_uuid)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"))
    reference_number: Mapped[Optional[str]] = mapped_column(sa.String(40))
    order_number: Mapped[str] = mapped_column(sa.String(255), index=True)
    type: Mapped[int] = mapped_column(default=2)  # 1 = earning, 2 = replacing
    # An earning for a phone without an active account: `new` until the shopper activates.
    pending_activation: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    order_status: Mapped[str] = mapped_column(sa.String(30), default="new")
    total_price: Mapped[Decimal] = mapped_column(Money)
    shipping_amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    tax_amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    discount_amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    phone_number: Mapped[Optional[str]] = mapped_column(sa.String(9))
    customer_name: Mapped[Optional[str]] = mapped_column(sa.String(255))
    shipping_address: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    # `metadata` is reserved by SQLAlchemy's declarative base, hence the attribute name.
    meta: Mapped[Optional[dict]] = mapped_column("metadata", sa.JSON)
    callback_url: Mapped[Optional[str]] = mapped_column(sa.Text)
    # scheme://host:port the checkout call came in on: relative webhook URLs resolve here.
    origin: Mapped[Optional[str]] = mapped_column(sa.String(255))
    # What the shopper paid: points (and their SAR value) and card.
    shopper_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("shoppers.id"))
    redeemed_points: Mapped[int] = mapped_column(default=0)
    redeemed_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    card_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    earned_points: Mapped[int] = mapped_column(default=0)
    # Refund bookkeeping, cumulative.
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    returned_points: Mapped[int] = mapped_column(default=0)
    reversed_points: Mapped[int] = mapped_column(default=0)
    payment_method: Mapped[Optional[str]] = mapped_column(sa.String(4))
    settlement_status: Mapped[Optional[str]] = mapped_column(sa.String(30))
    cancel_reason: Mapped[Optional[str]] = mapped_column(sa.String(500))
    # Shipping status (separate lifecycle) and the merchant's own labels.
    shipping_status: Mapped[Optional[str]] = mapped_column(sa.String(40))
    custom_status_ar: Mapped[Optional[str]] = mapped_column(sa.String(120))
    custom_status_en: Mapped[Optional[str]] = mapped_column(sa.String(120))
    # When the order was settled (approved or captured), to the microsecond: the refund window
    # counts from here. Internal, never sent.
    settled_at: Mapped[Optional[datetime]]
    # Emitted timestamps, to the second like Laravel's.
    created_at: Mapped[datetime] = mapped_column(default=stamp)
    updated_at: Mapped[datetime] = mapped_column(default=stamp)
    # The row's version for compare-and-set: every change bumps it (`updated_at` cannot serve,
    # two changes within one second share it).
    version: Mapped[int] = mapped_column(default=0, server_default="0")

    merchant: Mapped[Merchant] = relationship()
    shopper: Mapped[Optional[Shopper]] = relationship()
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )
    session: Mapped[Optional[CheckoutSession]] = relationship(back_populates="order", uselist=False)


class OrderItem(db.Model):
    __tablename__ = "order_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    product_name: Mapped[str] = mapped_column(sa.String(255))
    product_price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")


class CheckoutSession(db.Model):
    """One hosted checkout. `state`: open, completed, cancelled, expired."""

    __tablename__ = "checkout_sessions"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), unique=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    expires_at: Mapped[datetime]
    phone: Mapped[Optional[str]] = mapped_column(sa.String(9))
    otp_code: Mapped[Optional[str]] = mapped_column(sa.String(4))
    otp_sent_at: Mapped[Optional[datetime]]
    verified: Mapped[bool] = mapped_column(default=False)
    # The redemption the shopper chose, waiting for the confirm dialog.
    pending_amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    pending_points: Mapped[Optional[int]]
    # Set once the redemption is confirmed (points taken), even when it is zero.
    redemption_confirmed: Mapped[bool] = mapped_column(default=False)
    last_decline: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="session")


class Delivery(db.Model):
    """One webhook event for one registered webhook: the outbox row the worker sends.

    `status`: pending, sending, held (reverse-order chaos), delivered, failed, dropped, cancelled.
    """

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("webhooks.id", ondelete="SET NULL"))
    order_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("orders.id"))
    event: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[str] = mapped_column(sa.Text)  # exact JSON body, built when the change happened
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    attempts_made: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[Optional[str]] = mapped_column(sa.String(255))
    # scheme://host:port a relative webhook URL resolves against when there is no order
    # (merchant events) — the origin of the control call that triggered it.
    origin: Mapped[Optional[str]] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    webhook: Mapped[Optional[Webhook]] = relationship()
    order: Mapped[Optional[Order]] = relationship()
    attempts: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.id", cascade="all, delete-orphan"
    )


class DeliveryAttempt(db.Model):
    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("deliveries.id"))
    number: Mapped[int]
    url: Mapped[str] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[Optional[int]]
    error: Mapped[Optional[str]] = mapped_column(sa.String(500))
    duration_ms: Mapped[int] = mapped_column(default=0)

    delivery: Mapped[Delivery] = relationship(back_populates="attempts")


class Chaos(db.Model):
    """The single row of chaos switches (id = 1)."""

    __tablename__ = "chaos"
    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_delay_seconds: Mapped[float] = mapped_column(default=0.0)
    webhook_duplicate: Mapped[bool] = mapped_column(default=False)
    webhook_reverse: Mapped[bool] = mapped_column(default=False)
    webhook_drop_next: Mapped[int] = mapped_column(default=0)
    checkout_fail_status: Mapped[Optional[int]]
    checkout_fail_next: Mapped[int] = mapped_column(default=0)
    # Every checkout call makes its order and session, then answers this late: a client that
    # times out has a Points order it never saw, as with a slow real service.
    checkout_delay_seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")
    # The hosted flow's return to callback_url appends order_uuid and status (our guess at
    # Points' undocumented parameters); off = callback_url exactly as given.
    callback_params: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The documented 403s: the merchant not allowed (unverified/unpublished), the caller's IP
    # not whitelisted.
    forbid_merchant: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    forbid_ip: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Earning calls: the next N answer 429 (with Retry-After) or 500; the next N hang after
    # creating the order; every call takes this long inside the lock.
    earning_fail_status: Mapped[Optional[int]]
    earning_fail_next: Mapped[int] = mapped_column(default=0, server_default="0")
    earning_retry_after: Mapped[int] = mapped_column(default=1, server_default="1")
    earning_hang_seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")
    earning_hang_next: Mapped[int] = mapped_column(default=0, server_default="0")
    earning_delay_seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")


# The statuses of an order that has been paid (settled), whatever happened after.
SETTLED = {"approved", "captured", "partially_refunded", "fully_refunded"}


def payment_status(order: Order) -> str:
    """`fully_paid` once the order is settled; before that nothing has been taken in full."""
    return "fully_paid" if order.order_status in SETTLED else "partially_paid"
