"""The sandbox's order state machine and points arithmetic: one code path for the API,
the hosted pages and the control endpoints.

Every public function here makes one change, records the webhook(s) it fires in the outbox
(in the same transaction) and commits; the worker sends them after the commit.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from . import webhooks
from .extensions import db
from .models import SETTLED, Order, OrderItem, Shopper, payment_status, stamp, utcnow

__all__ = ["SETTLED", "payment_status"]  # re-exported: they live beside the order model


def new_order(merchant, clean: dict, origin: str, **fields) -> Order:
    """A new order from a validated CheckoutRequest or EarningOrderRequest (the fields the two
    share), added and flushed so it has its id and its ``reference_number``; ``fields`` are the
    rest (a checkout's callback_url, an earning's type and points). The caller commits."""
    order = Order(
        merchant=merchant,
        order_number=clean["order_number"],
        total_price=clean["total_price"],
        shipping_amount=clean["shipping_amount"],
        tax_amount=clean["tax_amount"],
        discount_amount=clean["discount_amount"],
        phone_number=clean["phone_number"],
        customer_name=clean["name"],
        shipping_address=clean["shipping_address"],
        meta=clean["metadata"],
        origin=origin,
        items=[OrderItem(**line) for line in clean["products"] or []],
        **fields,
    )
    db.session.add(order)
    db.session.flush()
    order.reference_number = f"REF-{order.created_at:%Y}-{order.id:06d}"
    return order


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
REFUNDABLE = ("approved", "captured", "partially_refunded")
# Shipping goes on while something was not refunded (decisions, "Shipping status").
SHIPPABLE = ("approved", "captured", "partially_refunded")
REFUND_NOT_ALLOWED = "Refund not allowed"
AUTO_REFUND_REASON = "auto_refund_missing_transaction"

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
    """`updated_at` to the second, as Laravel stamps it: two changes within one second share it."""
    order.updated_at = stamp()


def _claim(order: Order, **values) -> None:
    """Compare-and-set on the row's `version`, so two threads (a shopper, the expiry sweep, two
    partial refunds, a refund and a shipping update) never both change an order: the row must
    still have the status and the version this thread read. Bumps the version."""
    current, version = order.order_status, order.version
    db.session.flush()
    result = db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.order_status == current, Order.version == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise IllegalMove("The order changed meanwhile; fetch it again.")
    # Mirror the new row in memory without a second UPDATE of the same values.
    set_committed_value(order, "version", version + 1)
    for name, value in values.items():
        set_committed_value(order, name, value)
    _touch(order)


def _move(order: Order, to: str) -> None:
    if to not in ALLOWED_MOVES[order.order_status]:
        raise IllegalMove(f"Order cannot move from {order.order_status} to {to}.")
    _claim(order, order_status=to)


def _settled(order: Order) -> None:
    order.settlement_status = "settled"
    order.settled_at = utcnow()


# For earning.py, which approves earning orders through the same state machine.
move, mark_settled = _move, _settled


def total_points(order: Order) -> int:
    """`total_points` as sent: the points an earning order awards, a replacing order's redeemed."""
    return order.earned_points if order.type == 1 else order.redeemed_points


def left_points(order: Order) -> int:
    """What the refunds left of `total_points`: earned minus reversed, or redeemed minus returned."""
    if order.type == 1:
        return order.earned_points - order.reversed_points
    return order.redeemed_points - order.returned_points


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
    db.session.execute(
        sa.update(Shopper)
        .where(Shopper.id == shopper.id)
        .values(balance=balance)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(shopper, ["balance"])


def spend_points(shopper: Shopper, points: int) -> bool:
    """Take `points` off the balance only if it still holds them (checked in the same UPDATE)."""
    result = db.session.execute(
        sa.update(Shopper)
        .where(Shopper.id == shopper.id, Shopper.balance >= points)
        .values(balance=Shopper.balance - points)
        .execution_options(synchronize_session=False)
    )
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
        raise IllegalMove(
            f"Order cannot be cancelled: it is {status}; only new or authorized orders can be cancelled.{hint}"
        )
    _move(order, "cancelled")
    order.cancel_reason = reason
    _give_back_redeemed(order)
    _close_session(order, "cancelled")
    webhooks.enqueue(order, "cancelled", reason=reason)
    _commit()
    return order


def past_refund_window(order: Order) -> bool:
    """The merchant's `refund_window_days` (None = no window) counted from settlement;
    0 days puts every settled order past it."""
    days = order.merchant.refund_window_days
    if days is None or order.settled_at is None:
        return False
    return utcnow() >= order.settled_at + timedelta(days=days)


def _apply_refund(order: Order, amount: Decimal) -> dict:
    """Money and points of a refund of `amount` (already checked against what remains);
    moves the order and returns the figures the webhook carries."""
    total = Decimal(order.total_price)
    refunded_total = Decimal(order.refunded_amount) + amount
    full = refunded_total == total
    # Cumulative proportions, so the pieces of several partial refunds add up exactly.
    returned = order.redeemed_points if full else int(order.redeemed_points * refunded_total / total)
    reversed_ = order.earned_points if full else int(order.earned_points * refunded_total / total)
    refund_points = returned - order.returned_points
    reversed_points = reversed_ - order.reversed_points
    _move(order, "fully_refunded" if full else "partially_refunded")
    add_points(order.shopper, refund_points - reversed_points, floor_at_zero=True)
    order.returned_points, order.reversed_points = returned, reversed_
    order.refunded_amount = refunded_total
    return {
        "refund_amount": float(amount),
        # An earning order's refund takes back the points it awarded (docs §7).
        "refund_points": reversed_points if order.type == 1 else refund_points,
        "left_amount": float(total - refunded_total),
        "left_points": left_points(order),
    }


def refund(order: Order, amount: Decimal | None, reason: str | None) -> Order:
    status = order.order_status
    if status not in REFUNDABLE:
        raise IllegalMove(
            f"Refund not allowed: the order is {status}; only approved, captured or "
            f"partially refunded orders can be refunded."
        )
    if past_refund_window(order):
        raise IllegalMove(REFUND_NOT_ALLOWED)
    remaining = Decimal(order.total_price) - Decimal(order.refunded_amount)
    if amount is None:
        amount = remaining
    if amount <= 0:
        raise IllegalMove("Refund not allowed: the amount must be greater than 0.")
    if amount > remaining:
        raise IllegalMove(f"Refund not allowed: the amount exceeds the refundable amount ({remaining:.2f} SAR).")
    figures = _apply_refund(order, amount)
    webhooks.enqueue(
        order,
        "refunded",
        refund_amount=figures["refund_amount"],
        reason=reason,
        refund_points=figures["refund_points"],
        left_amount=figures["left_amount"],
        left_points=figures["left_points"],
    )
    _commit()
    return order


def _require_auto_refundable(order: Order) -> None:
    if order.order_status not in REFUNDABLE:
        raise IllegalMove(
            f"Order cannot be auto-refunded: it is {order.order_status}; only approved, "
            f"captured or partially refunded orders can be."
        )


def auto_refund(order: Order) -> list:
    """What Points does on its own when a replacing order's transaction record is missing: the
    whole remaining amount refunded (no refund window: nobody asked), `auto_refunded` sent with
    the extras of docs §5.5. Returns the deliveries made."""
    _require_auto_refundable(order)
    remaining = Decimal(order.total_price) - Decimal(order.refunded_amount)
    figures = _apply_refund(order, remaining)
    made = webhooks.enqueue(
        order,
        "auto_refunded",
        refund_amount=figures["refund_amount"],
        refund_points=figures["refund_points"],
        reason=AUTO_REFUND_REASON,
        type="replacing",
    )
    _commit()
    return made


def authorize(order: Order) -> Order:
    if order.order_status != "new":
        raise IllegalMove(f"Order cannot be authorized: it is {order.order_status}; only new orders can be authorized.")
    _move(order, "authorized")
    webhooks.enqueue(order, "authorized")
    _commit()
    return order


def capture(order: Order) -> Order:
    if order.order_status != "authorized":
        raise IllegalMove(
            f"Order cannot be captured: it is {order.order_status}; only authorized orders can be captured."
        )
    _move(order, "captured")
    _settled(order)
    _close_session(order, "completed")
    webhooks.enqueue(order, "captured")
    _commit()
    return order


def complete(order: Order, payment_method: str | None) -> Order:
    status = order.order_status
    if order.type == 1:
        raise IllegalMove("Only replacing orders can be completed")
    if status == "approved":
        raise IllegalMove("Order is already completed")
    if status == "captured":
        raise IllegalMove("Order already fully paid")
    if status != "new":
        raise IllegalMove("Order cannot be completed")
    _move(order, "approved")
    order.payment_method = payment_method
    _settled(order)
    _close_session(order, "completed")
    webhooks.enqueue(order, "approved")
    webhooks.enqueue(order, "completed")
    _commit()
    return order


def update_shipping(order: Order, status: str | None, name_ar: str | None, name_en: str | None) -> Order:
    if order.order_status not in SHIPPABLE:
        raise IllegalMove(
            f"Shipping status cannot be updated: the order is {order.order_status}; "
            f"only approved, captured or partially refunded orders can be shipped."
        )
    _claim(order)  # a refund or another update committed meanwhile: refused, not overwritten
    if status is not None:
        order.shipping_status = status
    # One label alone fills both locales: the sandbox does not translate.
    if name_ar or name_en:
        order.custom_status_ar = name_ar or name_en
        order.custom_status_en = name_en or name_ar
    _touch(order)
    webhooks.enqueue(
        order, "shipping_status_updated", status=order.shipping_status, status_label=shipping_label(order, "en")
    )
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
    _settled(order)
    _close_session(order, "completed")
    _commit()
    return order


def trigger(order: Order, event: str) -> list:
    """Send an order event now, like `stripe trigger` (control page): the order's present state,
    with the extras the event carries. `auto_refunded` really refunds the order first, as Points
    does on its own. Returns the deliveries made (committed)."""
    if event == "auto_refunded":
        return auto_refund(order)
    made = webhooks.enqueue(order, event, **trigger_extras(order, event))
    _commit()
    return made


def trigger_extras(order: Order, event: str) -> dict:
    """The fields an order event adds to the order, as `trigger` sends them now."""
    total = Decimal(order.total_price)
    return {
        "cancelled": lambda: {"reason": order.cancel_reason},
        "refunded": lambda: {
            "refund_amount": float(order.refunded_amount),
            "reason": None,
            "refund_points": order.reversed_points if order.type == 1 else order.returned_points,
            "left_amount": float(total - Decimal(order.refunded_amount)),
            "left_points": left_points(order),
        },
        "shipping_status_updated": lambda: {
            "status": order.shipping_status,
            "status_label": shipping_label(order, "en"),
        },
    }.get(event, dict)()


def trigger_preview(order: Order, event: str) -> str:
    """The body `trigger` would send now, changing nothing. For `auto_refunded` the order is shown
    as the full refund would leave it (which `trigger` really does first)."""
    if event != "auto_refunded":
        return webhooks.order_body(order, event, **trigger_extras(order, event))
    _require_auto_refundable(order)
    body = json.loads(webhooks.order_body(order, event))
    body["order"].update(
        order_status="fully_refunded",
        refund_amount=float(Decimal(order.total_price) - Decimal(order.refunded_amount)),
        refund_points=left_points(order),  # what the full refund takes back: earned or redeemed
        reason=AUTO_REFUND_REASON,
        type="replacing",
    )
    return json.dumps(body, ensure_ascii=False)
