"""The sandbox's order state machine and points arithmetic: one code path for the API,
the hosted pages and the control endpoints.

Every public function here makes one change, records the webhook(s) it fires in the outbox
(in the same transaction) and commits; the worker sends them after the commit.
"""
from __future__ import annotations

import math
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from flask import current_app

from . import webhooks
from .extensions import db
from .models import Order, Shopper, utcnow

# The documented financial state machine: status -> statuses it may move to.
ALLOWED_MOVES = {
    "new": {"approved", "authorized", "cancelled"},
    "authorized": {"captured", "cancelled"},
    "approved": {"partially_refunded", "fully_refunded"},
    "captured": {"partially_refunded", "fully_refunded"},
    "partially_refunded": {"partially_refunded", "fully_refunded"},
    "cancelled": set(),
    "fully_refunded": set(),
}
SETTLED = {"approved", "captured", "partially_refunded", "fully_refunded"}

SHIPPING_STATUSES = {
    # name: (backed integer of OrderShippingStatus, English label, Arabic label)
    "new": (1, "New", "جديد"),
    "license_in_progress": (2, "License in progress", "جاري استخراج التصريح"),
    "ready_shipping": (3, "Ready for shipping", "جاهز للشحن"),
    "delivery_is_in_progress": (4, "Out for delivery", "خرج للتوصيل"),
    "delivered": (5, "Delivered", "تم التوصيل"),
    "cancelled": (6, "Cancelled", "ملغي"),
}


class IllegalMove(Exception):
    """A change the order's state does not allow: the API answers 400 with this message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Points arithmetic ----------------------------------------------------------------------

def point_value() -> Decimal:
    return Decimal(current_app.config["SANDBOX_POINT_VALUE"])


def points_for(amount: Decimal) -> int:
    """Points needed to cover `amount` SAR (rounded up, as the real pages show)."""
    return math.ceil(Decimal(amount) / point_value())


def sar_for(points: int) -> Decimal:
    """The most SAR `points` can cover, to the halala."""
    return (points * point_value()).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def points_earned(card_amount: Decimal) -> int:
    return int(Decimal(card_amount) * Decimal(current_app.config["SANDBOX_EARN_POINTS_PER_SAR"]))


def payment_status(order: Order) -> str:
    """`fully_paid` once the order is settled; before that nothing has been taken in full."""
    return "fully_paid" if order.order_status in SETTLED else "partially_paid"


def shipping_label(order: Order, lang: str = "en") -> str | None:
    custom = order.custom_status_ar if lang == "ar" else order.custom_status_en
    if custom:
        return custom
    if order.shipping_status:
        _, en, ar = SHIPPING_STATUSES[order.shipping_status]
        return ar if lang == "ar" else en
    return None


# --- Moves -----------------------------------------------------------------------------------

def _touch(order: Order) -> None:
    """A fresh `updated_at`, strictly later than the last one (webhook dedupe keys on it)."""
    now = utcnow()
    if order.updated_at and now <= order.updated_at:
        now = order.updated_at + timedelta(microseconds=1)
    order.updated_at = now


def _move(order: Order, to: str) -> None:
    """Compare-and-set, so two threads (a shopper, the expiry sweep, two partial refunds) never
    both move an order: the row must still have the status *and* the `updated_at` this thread
    read (every change touches `updated_at`, so it is the row's version)."""
    current = order.order_status
    if to not in ALLOWED_MOVES[current]:
        raise IllegalMove(f"Order cannot move from {current} to {to}.")
    db.session.flush()
    result = db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.order_status == current, Order.updated_at == order.updated_at)
        .values(order_status=to)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise IllegalMove("The order changed meanwhile; fetch it again.")
    order.order_status = to
    _touch(order)


def _close_session(order: Order, state: str) -> None:
    if order.session is not None and order.session.state == "open":
        order.session.state = state


def _commit() -> None:
    db.session.commit()
    webhooks.notify()


def add_points(shopper: Shopper | None, delta: int, *, floor_at_zero: bool = False) -> None:
    """Change a balance in SQL (`balance = balance + delta`), never by writing back a value read
    earlier: the worker's expiry sweep and a shopper's request may change it at the same time."""
    if shopper is None or delta == 0:
        return
    balance = Shopper.balance + delta
    if floor_at_zero:
        balance = sa.case((balance < 0, 0), else_=balance)
    db.session.execute(sa.update(Shopper).where(Shopper.id == shopper.id).values(balance=balance)
                       .execution_options(synchronize_session=False))
    db.session.expire(shopper, ["balance"])


def spend_points(shopper: Shopper, points: int) -> bool:
    """Take `points` off the balance only if it still holds them (checked in the same UPDATE)."""
    result = db.session.execute(
        sa.update(Shopper).where(Shopper.id == shopper.id, Shopper.balance >= points)
        .values(balance=Shopper.balance - points).execution_options(synchronize_session=False))
    db.session.expire(shopper, ["balance"])
    return result.rowcount == 1


def _give_back_redeemed(order: Order) -> None:
    """Points taken at confirmation go back to the shopper when the order does not go through."""
    if order.shopper is not None and order.redeemed_points:
        add_points(order.shopper, order.redeemed_points - order.returned_points)
        order.returned_points = order.redeemed_points


def cancel(order: Order, reason: str) -> Order:
    status = order.order_status
    if status not in ("new", "authorized"):
        hint = " Refund it instead." if status in SETTLED else ""
        raise IllegalMove(f"Order cannot be cancelled: it is {status}; only new or authorized "
                          f"orders can be cancelled.{hint}")
    _move(order, "cancelled")
    order.cancel_reason = reason
    _give_back_redeemed(order)
    _close_session(order, "cancelled")
    webhooks.enqueue(order, "cancelled", reason=reason)
    _commit()
    return order


def refund(order: Order, amount: Decimal | None, reason: str | None) -> Order:
    status = order.order_status
    if status not in ("approved", "captured", "partially_refunded"):
        raise IllegalMove(f"Refund not allowed: the order is {status}; only approved, captured or "
                          f"partially refunded orders can be refunded.")
    total = Decimal(order.total_price)
    remaining = total - Decimal(order.refunded_amount)
    if amount is None:
        amount = remaining
    if amount <= 0:
        raise IllegalMove("Refund not allowed: the amount must be greater than 0.")
    if amount > remaining:
        raise IllegalMove(f"Refund not allowed: the amount exceeds the refundable amount "
                          f"({remaining:.2f} SAR).")
    refunded_total = Decimal(order.refunded_amount) + amount
    full = refunded_total == total
    # Cumulative proportions, so the pieces of several partial refunds add up exactly.
    returned = order.redeemed_points if full else int(order.redeemed_points * refunded_total / total)
    reversed_ = order.earned_points if full else int(order.earned_points * refunded_total / total)
    refund_points = returned - order.returned_points
    add_points(order.shopper, refund_points - (reversed_ - order.reversed_points), floor_at_zero=True)
    order.returned_points, order.reversed_points = returned, reversed_
    order.refunded_amount = refunded_total
    _move(order, "fully_refunded" if full else "partially_refunded")
    webhooks.enqueue(
        order, "refunded",
        refund_amount=float(amount), reason=reason, refund_points=refund_points,
        left_amount=float(total - refunded_total), left_points=order.redeemed_points - returned,
    )
    _commit()
    return order


def authorize(order: Order) -> Order:
    if order.order_status != "new":
        raise IllegalMove(f"Order cannot be authorized: it is {order.order_status}; only new "
                          f"orders can be authorized.")
    _move(order, "authorized")
    webhooks.enqueue(order, "authorized")
    _commit()
    return order


def capture(order: Order) -> Order:
    if order.order_status != "authorized":
        raise IllegalMove(f"Order cannot be captured: it is {order.order_status}; only authorized "
                          f"orders can be captured.")
    _move(order, "captured")
    order.settlement_status = "settled"
    _close_session(order, "completed")
    webhooks.enqueue(order, "captured")
    _commit()
    return order


def complete(order: Order, payment_method: str | None) -> Order:
    status = order.order_status
    if status == "approved":
        raise IllegalMove("Order is already completed")
    if status == "captured":
        raise IllegalMove("Order already fully paid")
    if status != "new":
        raise IllegalMove("Order cannot be completed")
    _move(order, "approved")
    order.payment_method = payment_method
    order.settlement_status = "settled"
    _close_session(order, "completed")
    webhooks.enqueue(order, "approved")
    _touch(order)
    webhooks.enqueue(order, "completed")
    _commit()
    return order


def update_shipping(order: Order, status: str | None, name_ar: str | None, name_en: str | None) -> Order:
    if order.order_status not in ("approved", "captured"):
        raise IllegalMove(f"Shipping status cannot be updated: the order is {order.order_status}; "
                          f"only approved or captured orders can be shipped.")
    if status is not None:
        order.shipping_status = status
    # One label alone fills both locales: the sandbox does not translate.
    if name_ar or name_en:
        order.custom_status_ar = name_ar or name_en
        order.custom_status_en = name_en or name_ar
    _touch(order)
    webhooks.enqueue(order, "shipping_status_updated",
                     status=order.shipping_status, status_label=shipping_label(order, "en"))
    _commit()
    return order


def settle(order: Order, card_amount: Decimal) -> Order:
    """End of the hosted flow: the sandbox settles the order itself, one or two steps.
    An order the merchant already authorized through the API (mid-checkout) is captured."""
    if order.order_status == "authorized":
        _move(order, "captured")
        webhooks.enqueue(order, "captured")
    elif order.merchant.two_step:
        _move(order, "authorized")
        webhooks.enqueue(order, "authorized")
        _move(order, "captured")
        webhooks.enqueue(order, "captured")
    else:
        _move(order, "approved")
        webhooks.enqueue(order, "approved")
    order.card_amount = card_amount
    order.earned_points = points_earned(card_amount)
    add_points(order.shopper, order.earned_points)
    order.settlement_status = "settled"
    _close_session(order, "completed")
    _commit()
    return order
