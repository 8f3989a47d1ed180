"""Earning orders (type 1): points for a purchase paid outside Points, `POST /v1/orders/earning`.

A phone with an account gets an `approved` order at once and its `approved` webhook; any other
phone gets a pending order (`new`, `pending_activation`), approved when the shopper activates
(`activate`, the control page's button). Order numbers are never de-duplicated (Points' rule is
undocumented). Calls are serialised per merchant by `merchant_lock`, as Points' distributed lock.
"""

from __future__ import annotations

import math
import secrets
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from . import orders, webhooks
from .extensions import db
from .models import Merchant, Order, Shopper, utcnow

EARNING = 1
# A lock is forgotten after this long, as a cache lock with a TTL is: a request that died
# holding it does not block the merchant for ever.
LOCK_SECONDS = 120


class Locked(Exception):
    """Another earning call of the same merchant holds the lock."""


class AlreadyActive(Exception):
    """The phone already has an active account: nothing to activate."""


def points_for(merchant: Merchant, total_price: Decimal) -> int:
    """floor(total_price × the merchant's points per SAR): 115 SAR × 10 = 1,150 points."""
    return math.floor(Decimal(total_price) * Decimal(merchant.earn_points_per_sar))


@contextmanager
def merchant_lock(merchant: Merchant):
    """Take the merchant's earning lock by compare-and-set in its own committed transaction, so
    a second call (another thread or process) sees it at once; raises Locked when held."""
    token, now = secrets.token_hex(16), utcnow()
    taken = db.session.execute(
        sa.update(Merchant)
        .where(
            Merchant.id == merchant.id,
            sa.or_(Merchant.earning_lock.is_(None), Merchant.earning_lock_until < now),
        )
        .values(earning_lock=token, earning_lock_until=now + timedelta(seconds=LOCK_SECONDS))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if taken.rowcount != 1:
        raise Locked()
    try:
        yield
    finally:
        db.session.rollback()  # whatever the call left unfinished; its own work is committed
        db.session.execute(
            sa.update(Merchant)
            .where(Merchant.id == merchant.id, Merchant.earning_lock == token)
            .values(earning_lock=None, earning_lock_until=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def _approve(order: Order, shopper: Shopper) -> None:
    """The points go to the shopper and the `approved` webhook is recorded; the caller commits."""
    order.shopper = shopper
    order.pending_activation = False
    orders.move(order, "approved")
    orders.mark_settled(order)
    orders.add_points(shopper, order.earned_points)
    webhooks.enqueue(order, "approved")


def create(merchant: Merchant, clean: dict, origin: str) -> Order:
    """An earning order from a validated EarningOrderRequest: approved when the phone has an
    account, else pending its activation. Committed, webhook sent."""
    shopper = db.session.scalar(sa.select(Shopper).where(Shopper.phone == clean["phone_number"]))
    order = orders.new_order(
        merchant,
        clean,
        origin,
        type=EARNING,
        earned_points=points_for(merchant, clean["total_price"]),
        pending_activation=shopper is None,
    )
    if shopper is not None:
        _approve(order, shopper)
    db.session.commit()
    webhooks.notify()
    return order


def pending_for(phone: str) -> list[Order]:
    return db.session.scalars(
        sa.select(Order)
        .where(Order.type == EARNING, Order.phone_number == phone, Order.pending_activation.is_(True))
        .where(Order.order_status == "new")
        .order_by(Order.id)
    ).all()


def activate(phone: str) -> tuple[Shopper, list[Order]]:
    """The shopper activates their Points account: it is made (zero balance) and each of their
    pending earnings is approved, its points added and its `approved` webhook sent."""
    if db.session.scalar(sa.select(Shopper.id).where(Shopper.phone == phone)) is not None:
        raise AlreadyActive(phone)
    shopper = Shopper(phone=phone, balance=0)
    db.session.add(shopper)
    db.session.flush()
    approved = pending_for(phone)
    for order in approved:
        _approve(order, shopper)
    db.session.commit()
    webhooks.notify()
    return shopper, approved
