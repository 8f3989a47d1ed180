"""The shop's tables, in SQLAlchemy 2.0 typed style.

Money columns are ``Numeric(10, 2)`` and come back as ``Decimal``; they become JSON numbers
only in ``points/client.py`` when a request body is built. Times are naive UTC.
"""

import secrets
from datetime import datetime, timezone
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .money import vat_share

Money = sa.Numeric(10, 2, asdecimal=True)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Product(db.Model):
    __table_args__ = (
        # The catalogue lists in this order, whole or by category: a page of 24 reads 24 index entries.
        sa.Index("product_listing", "position", "id"),
        sa.Index("product_category_listing", "category", "position", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))  # English
    name_ar: Mapped[str] = mapped_column(sa.String(120), default="")
    category: Mapped[str] = mapped_column(sa.String(60), index=True)  # English; shown translated
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_ar: Mapped[str] = mapped_column(sa.Text, default="")
    price: Mapped[Decimal] = mapped_column(Money)
    image: Mapped[str] = mapped_column(sa.String(120))  # a file under static/products/
    position: Mapped[int] = mapped_column(default=0)
    # Off sale: kept (old links, carts and orders still name it) but not listed, added or priced.
    on_sale: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __repr__(self):
        return f"<Product {self.slug} {self.price}>"


class CatalogueVersion(db.Model):
    """One row whose ``version`` goes up with every insert, update or delete of a product.

    Database triggers do it (created by the migration that made this table), so every path counts:
    the app, ``flask seed``, an operator's SQL. The shop keeps rendered pages per version
    (page_cache.py): a kept price is never an old one.
    """

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class Cart(db.Model):
    """A shopper's cart; its token lives in a long-lived cookie so it survives a browser restart."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Indexed for pruning abandoned carts (retention.py).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    lines: Mapped[list["CartLine"]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.id"
    )


class CartLine(db.Model):
    """A product in a cart. A product deleted meanwhile leaves the line (``product_id`` NULL) with
    the names it had, so the cart can say what is gone instead of hiding it."""

    __table_args__ = (sa.UniqueConstraint("cart_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("cart.id"), index=True)
    product_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("product.id", ondelete="SET NULL"))
    quantity: Mapped[int] = mapped_column(default=1)
    product_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    product_name_ar: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    cart: Mapped[Cart] = relationship(back_populates="lines")
    product: Mapped[Optional[Product]] = relationship()


class Order(db.Model):
    """One attempt to pay for a cart with Points. ``status`` is the local state (see orders.py)."""

    __tablename__ = "orders"
    __table_args__ = (
        # At most one order awaiting payment per cart: a double click cannot create two.
        sa.Index(
            "one_pending_order_per_cart",
            "cart_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending_payment'"),
            postgresql_where=sa.text("status = 'pending_payment'"),
        ),
        # The back office lists newest first, whole or by status: a page reads its rows off these.
        sa.Index("order_listing", "created_at", "id"),
        sa.Index("order_status_listing", "status", "created_at", "id"),
        # Staff search by the start of a number: PostgreSQL reads LIKE 'PTS-2026-00%' only off a
        # pattern_ops index (on SQLite these are plain indexes, which its GLOB reads).
        sa.Index("order_number_prefix", "order_number", postgresql_ops={"order_number": "varchar_pattern_ops"}),
        sa.Index(
            "order_reference_prefix",
            "points_reference_number",
            postgresql_ops={"points_reference_number": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)  # points/orders.py: STATUSES
    status_reason: Mapped[Optional[str]] = mapped_column(sa.Text)

    cart_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("cart.id"), index=True)
    cart_fingerprint: Mapped[str] = mapped_column(sa.String(64), default="")

    customer_name: Mapped[str] = mapped_column(sa.String(255))
    phone: Mapped[str] = mapped_column(sa.String(16))  # normalised 5XXXXXXXX; PII, masked in logs
    city: Mapped[str] = mapped_column(sa.String(100))
    address_line: Mapped[str] = mapped_column(sa.String(255))
    # The shopper's language at checkout (ar, en): the product names sent to Points are in it.
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")

    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money)
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))

    checkout_url: Mapped[Optional[str]] = mapped_column(sa.Text)
    checkout_started_at: Mapped[Optional[datetime]]  # when Points gave us checkout_url
    last_error: Mapped[Optional[str]] = mapped_column(sa.Text)

    # What Points told us. ``points_uuid`` is trusted only from a webhook or GET /v1/orders/{uuid};
    # the callback's query string gives an unverified hint, kept apart for reconciliation.
    points_uuid: Mapped[Optional[str]] = mapped_column(sa.String(36), index=True)
    points_uuid_hint: Mapped[Optional[str]] = mapped_column(sa.String(64))
    points_reference_number: Mapped[Optional[str]] = mapped_column(sa.String(64), index=True)
    points_order_status: Mapped[Optional[str]] = mapped_column(sa.String(32))

    # What the webhooks of the order's own Points order say about points, stored as said: the
    # docs define no field for the split between points and card, so nothing more is claimed.
    points_total_points: Mapped[Optional[int]]
    points_payment_status: Mapped[Optional[str]] = mapped_column(sa.String(32))

    # "points" (Pay with Points, settled by Points' webhook) or "cod" (cash on delivery: staff
    # mark it collected, then the shop sends it to Points for earning; see points/earn.py).
    payment_method: Mapped[str] = mapped_column(sa.String(16), default="points", server_default="points")

    shipping_status: Mapped[Optional[str]] = mapped_column(sa.String(32))
    shipping_label_ar: Mapped[Optional[str]] = mapped_column(sa.String(120))
    shipping_label_en: Mapped[Optional[str]] = mapped_column(sa.String(120))

    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Indexed: the back office's lists ask for the newest change to any order on every poll
    # (admin/views.py: _orders_version), which is then one index probe, not a read of every row.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    paid_at: Mapped[Optional[datetime]]
    # Set by the one reconciliation run that asks Points about this order now (reconcile.py):
    # two runs at once (cron and the admin, two demo workers) never both call Points for it.
    reconcile_claimed_at: Mapped[Optional[datetime]]

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    transitions: Mapped[list["OrderTransition"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderTransition.id"
    )
    earning: Mapped[Optional["PointsEarning"]] = relationship(back_populates="order", uselist=False)

    @property
    def refundable_amount(self) -> Decimal:
        return self.total - (self.refunded_amount or Decimal("0.00"))

    @property
    def vat_amount(self) -> Decimal:
        """The VAT inside the total (prices are VAT-inclusive)."""
        return vat_share(self.total)

    def __repr__(self):
        return f"<Order {self.order_number} {self.status}>"


class OrderLine(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    # An order line outlives its product: it keeps the name, and the key becomes NULL.
    product_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("product.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(sa.String(120))  # as sent to Points, in the order's locale
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[int]
    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderTransition(db.Model):
    """Every change of an order's local status, and what caused it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    from_status: Mapped[Optional[str]] = mapped_column(sa.String(32))
    to_status: Mapped[str] = mapped_column(sa.String(32))
    source: Mapped[str] = mapped_column(sa.String(32))  # checkout, shop, webhook, reconciliation, admin
    reason: Mapped[Optional[str]] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    order: Mapped[Order] = relationship(back_populates="transitions")
    # What caused it, where something recorded did: the webhook delivery, the call to Points whose
    # answer was applied (reconciliation), or the staff member who decided (see orders.caused_by).
    webhook_receipt_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("webhook_receipt.id"))
    api_call_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("points_api_call.id"))
    staff_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("admin_user.id"))
    webhook_receipt: Mapped[Optional["WebhookReceipt"]] = relationship()
    api_call: Mapped[Optional["PointsApiCall"]] = relationship()
    staff_user: Mapped[Optional["AdminUser"]] = relationship()


class PointsApiCall(db.Model):
    """One HTTP call the shop made to Points, with keys masked: the 'under the hood' view."""

    __table_args__ = (
        # The health page's last hour, and pruning by age (retention.py).
        sa.Index("points_api_call_recent", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The X-Request-ID sent with the call: ``<shop request id>.<call id>`` (request_ids.py).
    request_id: Mapped[Optional[str]] = mapped_column(sa.String(96))
    method: Mapped[str] = mapped_column(sa.String(8))
    path: Mapped[str] = mapped_column(sa.String(255))
    # The path as the OpenAPI file names it (``GET /v1/orders/{uuid}``), for the health page.
    endpoint: Mapped[Optional[str]] = mapped_column(sa.String(64))
    request_body: Mapped[Optional[str]] = mapped_column(sa.Text)
    response_status: Mapped[Optional[int]]
    response_body: Mapped[Optional[str]] = mapped_column(sa.Text)
    error: Mapped[Optional[str]] = mapped_column(sa.Text)
    duration_ms: Mapped[Optional[int]]


class PointsEarning(db.Model):
    """The earning to send to Points for a collected cash-on-delivery order: the outbox row.

    Written in the same transaction as "collected", so a crash loses nothing; ``points/earn.py``
    sends it, one at a time (the partial unique index lets at most one row be ``sending``).
    """

    __table_args__ = (
        sa.Index(
            "one_earning_in_flight",
            "state",
            unique=True,
            sqlite_where=sa.text("state = 'sending'"),
            postgresql_where=sa.text("state = 'sending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), unique=True)
    # pending, sending, awaiting_webhook, approved, pending_activation, refused, cancelled, reversed
    state: Mapped[str] = mapped_column(sa.String(32), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claim: Mapped[Optional[str]] = mapped_column(sa.String(32))  # the sender holding it, while sending
    claimed_at: Mapped[Optional[datetime]]
    uuid: Mapped[Optional[str]] = mapped_column(sa.String(36), index=True)
    reference_number: Mapped[Optional[str]] = mapped_column(sa.String(64))
    total_points: Mapped[Optional[int]]
    left_points: Mapped[Optional[int]]  # after a refund of the earning order, as Points says
    # A second Points earning order seen for the same order_number (an ambiguous answer resent).
    extra_uuid: Mapped[Optional[str]] = mapped_column(sa.String(36))
    message: Mapped[Optional[str]] = mapped_column(sa.Text)  # Points' words on the last attempt
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    order: Mapped[Order] = relationship(back_populates="earning")


class StaffSubmission(db.Model):
    """One submitted staff form that calls Points (refund, cancel), claimed by its one-time key
    before the call: the same form arriving twice (a double click, a reload, two tabs) finds the
    key taken and calls Points once. ``outcome`` is what staff were told, once known."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(36), unique=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[Optional[str]] = mapped_column(sa.Text)


class WebhookReceipt(db.Model):
    """Every webhook delivery received, whatever became of it.

    ``dedupe_key`` is set only on the delivery that was processed, so the unique index makes a
    concurrent duplicate fail loudly instead of applying twice.
    """

    __table_args__ = (
        # The webhooks page lists those about no order of ours, newest first, whole or by outcome;
        # the account's health reads the latest merchant event off the second.
        sa.Index("webhook_receipt_unmatched", "order_id", "received_at", "id"),
        sa.Index("webhook_receipt_by_outcome", "outcome", "order_id", "received_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    order_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    event: Mapped[Optional[str]] = mapped_column(sa.String(64))
    order_number: Mapped[Optional[str]] = mapped_column(sa.String(64))
    points_uuid: Mapped[Optional[str]] = mapped_column(sa.String(64))
    headers: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON, secret masked
    body: Mapped[str] = mapped_column(sa.Text, default="")
    response_status: Mapped[int]
    outcome: Mapped[str] = mapped_column(sa.String(32), index=True)
    detail: Mapped[Optional[str]] = mapped_column(sa.Text)
    dedupe_key: Mapped[Optional[str]] = mapped_column(sa.String(255), unique=True)


class WebhookVerificationFailure(db.Model):
    """Deliveries refused 401 (missing or wrong X-Webhook-Secret), counted per hour, reason and
    source network, with the headers of the first one (secret masked) and never a body: every
    worker sees every failure, and a flood grows a count, not the disk (health.py bounds the rows)."""

    __table_args__ = (sa.UniqueConstraint("hour", "reason", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column(index=True)  # the hour's start, UTC
    reason: Mapped[str] = mapped_column(sa.String(16))  # missing | wrong
    source: Mapped[str] = mapped_column(sa.String(64))  # an IPv4 address, an IPv6 /64, or "other"
    count: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    sample_headers: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON, secret masked


class AdminUser(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[Optional[datetime]]
    # In every staff session cookie; logout or a new password replaces it, ending them all.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_token)


class LoginAttempt(db.Model):
    """Failed and successful logins, to slow down repeated failures."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), index=True)
    remote_addr: Mapped[Optional[str]] = mapped_column(sa.String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RateLimit(db.Model):
    """A fixed-window counter per key (an address, an email at an address, a cart), changed only
    by one atomic UPDATE so that concurrent requests, processes and machines all count."""

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    window_started_at: Mapped[datetime]
    hits: Mapped[int]
    last_hit_at: Mapped[datetime] = mapped_column(index=True)
