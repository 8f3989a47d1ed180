"""The order state machine: one table of allowed moves, one function that applies what Points says.

Webhooks and reconciliation both end in :func:`apply_points_status`, so an order moves the same
way whichever told us first. The machine only moves forward: a late ``cancelled`` never un-pays an
order, and money that moved after the shop gave up sends the order to ``needs_review``.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..carts import totals as cart_totals
from ..extensions import db
from ..models import Cart, CartLine, Order, OrderTransition, utcnow
from ..money import parse_decimal, to_cents

PENDING_PAYMENT = "pending_payment"
AUTHORIZED = "authorized"
PAID = "paid"
CANCELLED = "cancelled"
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"
NEEDS_REVIEW = "needs_review"
# Cash on delivery: confirmed by the shop itself, the goods go out, staff collect the cash.
AWAITING_COLLECTION = "awaiting_collection"

STATUSES = (
    PENDING_PAYMENT,
    AUTHORIZED,
    AWAITING_COLLECTION,
    PAID,
    CANCELLED,
    PARTIALLY_REFUNDED,
    REFUNDED,
    NEEDS_REVIEW,
)

# How an order is paid (Order.payment_method).
PAY_WITH_POINTS = "points"
CASH_ON_DELIVERY = "cod"

ALLOWED_MOVES = {
    # Cash on delivery: "collected" is the move to paid (staff, once the money is in, and only
    # then is the earning sent to Points); or staff cancel it (refused at the door, never sent).
    AWAITING_COLLECTION: {PAID, CANCELLED},
    PENDING_PAYMENT: {AUTHORIZED, PAID, CANCELLED, PARTIALLY_REFUNDED, REFUNDED, NEEDS_REVIEW},
    AUTHORIZED: {PAID, CANCELLED, PARTIALLY_REFUNDED, REFUNDED, NEEDS_REVIEW},
    PAID: {PARTIALLY_REFUNDED, REFUNDED, NEEDS_REVIEW},
    PARTIALLY_REFUNDED: {PARTIALLY_REFUNDED, REFUNDED, NEEDS_REVIEW},
    # The shop gave up (cart changed, session expired) but Points took the money anyway.
    CANCELLED: {NEEDS_REVIEW, PARTIALLY_REFUNDED, REFUNDED},
    # Staff settle a reviewed order by fulfilling it (admin) or refunding it through Points. An
    # order reviewed for "no word from Points" still awaits Points' answer: it may be authorized,
    # paid (or found at a wrong amount: a new review), or cancelled; see awaiting_points().
    NEEDS_REVIEW: {AUTHORIZED, PAID, CANCELLED, PARTIALLY_REFUNDED, REFUNDED, NEEDS_REVIEW},
    # Terminal, but for money taken again through another Points order for the same order_number.
    REFUNDED: {NEEDS_REVIEW},
}
# A paid COD order's refunds (PAID -> PARTIALLY_REFUNDED / REFUNDED) are staff's, recorded here:
# the moves above already allow them.

# Local statuses in which the shop may ship the goods.
FULFILLABLE = {PAID, PARTIALLY_REFUNDED}
# Points holds the shopper's money (reserved or taken): the cart that was paid for is emptied.
PAYMENT_TAKEN = {AUTHORIZED} | FULFILLABLE
# Points has not settled the order yet: its webhook may still come, reconciliation may ask.
AWAITING_POINTS = (PENDING_PAYMENT, AUTHORIZED)

# The reason of a ``needs_review`` order whose shopper was sent to checkout_url and about which
# Points said nothing within the session life (decisions: "No word from Points"). It may be paid,
# so it is never cancelled locally; staff enter its Points uuid or close it as unpaid.
NO_WORD_FROM_POINTS = "no word from Points"

AMOUNT_TOLERANCE = Decimal("0.01")

# Why an order was cancelled, as the shop or Points records it (labels.py words each one for the
# shopper). The first two are Points' own (decisions: "Session life", the close button).
CHECKOUT_ABANDONED = "checkout abandoned"
CHECKOUT_EXPIRED = "checkout expired"
CART_CHANGED = "The cart changed before payment; a new order replaced this one."
DETAILS_CHANGED = "The contact or delivery details changed before payment; a new order replaced this one."
# decisions: "Ambiguous checkout failure": the call timed out, dropped or got a 5xx; its
# order_number is retired, and "Try again" starts a new order.
NO_ANSWER = "no answer from Points"
NEVER_STARTED = "checkout never started: Points gave no checkout_url, so the shopper saw no checkout"


class Outcome(StrEnum):
    """What became of one word from Points: a status applied here (webhook or reconciliation), or
    a webhook delivery that never reached the state machine. One list for the state machine, the
    webhook handler and the admin's labels; the value is what ``WebhookReceipt.outcome`` stores."""

    # The state machine's (apply_points_status)
    APPLIED = "applied"
    LATE = "late"
    AMOUNT_MISMATCH = "amount_mismatch"
    PAID_AFTER_CANCEL = "paid_after_cancel"
    IGNORED = "ignored"
    # The webhook handler's, about one of our orders
    PAID_TWICE = "paid_twice"
    OTHER_POINTS_ORDER = "other_points_order"
    DUPLICATE = "duplicate"
    # About the earning order of one of our cash-on-delivery orders (earn.py)
    EARNING_APPLIED = "earning_applied"
    EARNING_KNOWN = "earning_known"  # approved again (the API's answer or an earlier webhook said so)
    EARNED_TWICE = "earned_twice"
    UNKNOWN_ORDER = "unknown_order"
    # The webhook handler's, about no order of ours
    NOT_OURS = "not_ours"
    MERCHANT_EVENT = "merchant_event"
    UNKNOWN_EVENT = "unknown_event"
    MALFORMED = "malformed"
    UNAUTHORIZED = "unauthorized"  # answered 401, never stored

    @property
    def label(self) -> str:
        """As staff read it on the admin pages, in their language (looked up when shown)."""
        return _OUTCOME_LABELS.get(self) or self.value.replace("_", " ")


_OUTCOME_LABELS = {
    Outcome.APPLIED: _l("applied"),
    Outcome.LATE: _l("late"),
    Outcome.AMOUNT_MISMATCH: _l("amount mismatch"),
    Outcome.PAID_AFTER_CANCEL: _l("paid after cancel"),
    Outcome.IGNORED: _l("no change"),
    Outcome.PAID_TWICE: _l("paid twice"),
    Outcome.OTHER_POINTS_ORDER: _l("another Points order"),
    Outcome.DUPLICATE: _l("duplicate"),
    Outcome.EARNING_APPLIED: _l("earning updated"),
    Outcome.EARNING_KNOWN: _l("already known"),
    Outcome.EARNED_TWICE: _l("earned twice"),
    Outcome.UNKNOWN_ORDER: _l("no such order"),
    Outcome.NOT_OURS: _l("not our order"),
    Outcome.MERCHANT_EVENT: _l("merchant account"),
    Outcome.UNKNOWN_EVENT: _l("unknown event"),
    Outcome.MALFORMED: _l("malformed"),
    Outcome.UNAUTHORIZED: _l("bad secret"),
}

# Outcomes of applying a Points status that changed the order (the rest leave it as it was).
CHANGING_OUTCOMES = frozenset({Outcome.APPLIED, Outcome.AMOUNT_MISMATCH, Outcome.PAID_AFTER_CANCEL, Outcome.PAID_TWICE})


class IllegalMove(Exception):
    pass


@dataclass
class Effect:
    """What applying a Points status did to an order, and why, in a sentence for the timeline."""

    outcome: Outcome
    detail: str = ""

    @property
    def changed(self) -> bool:
        return self.outcome in CHANGING_OUTCOMES


def no_word_from_points(order: Order) -> bool:
    """Under review because Points never said a word about it: no money is known to have moved."""
    return order.status == NEEDS_REVIEW and order.status_reason == NO_WORD_FROM_POINTS


def awaiting_points(order: Order) -> bool:
    """Points' answer (webhook or GET) still settles the order: pending, authorized, or no word."""
    return order.status in AWAITING_POINTS or no_word_from_points(order)


@contextmanager
def caused_by(order: Order, *, webhook_receipt=None, api_call=None, staff_user=None):
    """Every status change made to ``order`` inside the block is recorded as caused by this webhook
    delivery, this call to Points or this staff member: the timeline shows each change under its cause."""
    before = len(order.transitions)
    yield
    for transition in order.transitions[before:]:
        transition.webhook_receipt, transition.api_call = webhook_receipt, api_call
        transition.staff_user = staff_user


def move(order: Order, to_status: str, *, source: str, reason: Optional[str] = None) -> None:
    """The one place an order's status changes; refuses any move the table does not allow."""
    if to_status not in ALLOWED_MOVES.get(order.status, set()):
        raise IllegalMove(f"{order.order_number}: {order.status} -> {to_status} is not allowed")
    order.transitions.append(
        OrderTransition(from_status=order.status, to_status=to_status, source=source, reason=reason)
    )
    from_status, order.status = order.status, to_status
    if reason is not None:
        order.status_reason = reason
    if to_status == PAID and order.paid_at is None:
        order.paid_at = utcnow()
    if to_status in PAYMENT_TAKEN and from_status not in PAYMENT_TAKEN:
        _empty_paid_cart(order)


def _empty_paid_cart(order: Order) -> None:
    """Money moved: the shopper's cart is emptied if it still holds just what was paid for (not
    if the shopper has since changed it, e.g. for a newer order)."""
    cart = db.session.get(Cart, order.cart_id) if order.cart_id is not None else None
    if cart is not None and cart_totals(cart).fingerprint() == order.cart_fingerprint:
        db.session.execute(sa.delete(CartLine).where(CartLine.cart_id == cart.id))
        db.session.expire(cart, ["lines"])


def as_decimal(value) -> Optional[Decimal]:
    amount = parse_decimal(value)
    return to_cents(amount) if amount is not None else None


def apply_points_status(
    order: Order,
    points_status: str,
    *,
    source: str,
    total_price=None,
    refund_amount=None,
    left_amount=None,
    reason: Optional[str] = None,
) -> Effect:
    """Apply a Points ``order_status`` (from a webhook or GET /v1/orders/{uuid}) to a local order.

    The caller commits; nothing here talks to the network. ``points_order_status`` mirrors the
    Points status only when it moved the order, so a late event cannot make the mirror stale.
    """
    outcome = _apply(
        order,
        points_status,
        source=source,
        total_price=total_price,
        refund_amount=refund_amount,
        left_amount=left_amount,
        reason=reason,
    )
    if outcome.changed or order.points_order_status is None:
        order.points_order_status = points_status
    return outcome


def _apply(order, points_status, *, source, total_price, refund_amount, left_amount, reason) -> Effect:
    if points_status in ("approved", "captured", "authorized"):
        target = AUTHORIZED if points_status == "authorized" else PAID
        if order.status == CANCELLED and target == PAID:
            move(
                order,
                NEEDS_REVIEW,
                source=source,
                reason=f"Points reports the order {points_status} after the shop cancelled it: refund it or fulfil it.",
            )
            return Effect(Outcome.PAID_AFTER_CANCEL, "money moved after the shop cancelled the order")
        if not awaiting_points(order) or order.status == target:
            return Effect(Outcome.LATE, f"order is already {order.status}; {points_status} changes nothing")
        paid = as_decimal(total_price)
        if paid is None or abs(paid - order.total) > AMOUNT_TOLERANCE:
            said = f"{paid} SAR" if paid is not None else "no amount"
            move(
                order,
                NEEDS_REVIEW,
                source=source,
                reason=f"Amount mismatch: Points says {said}, the order total is {order.total} SAR.",
            )
            return Effect(Outcome.AMOUNT_MISMATCH, f"Points total {said} != order total {order.total}")
        # Out of a review, say why: the review's reason must not stay on a paid order.
        move(
            order,
            target,
            source=source,
            reason=f"Points says {points_status}." if order.status == NEEDS_REVIEW else None,
        )
        return Effect(Outcome.APPLIED, f"{points_status} -> {target}")

    if points_status == "cancelled":
        if not awaiting_points(order):
            return Effect(Outcome.LATE, f"order is already {order.status}; a late cancel does not undo it")
        move(order, CANCELLED, source=source, reason=reason or "Cancelled at Points")
        return Effect(Outcome.APPLIED, "cancelled")

    if points_status in ("fully_refunded", "partially_refunded"):
        if order.status == REFUNDED:
            return Effect(Outcome.LATE, "order is already fully refunded")
        refunded = _refunded_after(order, points_status, refund_amount, left_amount)
        target = REFUNDED if points_status == "fully_refunded" else PARTIALLY_REFUNDED
        move(order, target, source=source, reason=reason)
        # Refund webhooks may arrive out of order: what has been refunded only ever grows.
        order.refunded_amount = max(order.refunded_amount or Decimal("0.00"), refunded)
        return Effect(Outcome.APPLIED, f"{target}; refunded so far {refunded} SAR")

    if points_status == "new":
        return Effect(Outcome.IGNORED, "Points still has the order as new")
    return Effect(Outcome.IGNORED, f"unknown order_status {points_status!r}")


def _refunded_after(order: Order, points_status, refund_amount, left_amount) -> Decimal:
    if points_status == "fully_refunded":
        return order.total
    left = as_decimal(left_amount)
    if left is not None:
        return max(Decimal("0.00"), order.total - left)
    amount = as_decimal(refund_amount) or Decimal("0.00")
    return min(order.total, (order.refunded_amount or Decimal("0.00")) + amount)


def is_cash_on_delivery(order: Order) -> bool:
    return order.payment_method == CASH_ON_DELIVERY


def empty_cart_of(order: Order) -> None:
    """A cash order is confirmed when placed: its cart is emptied as a paid order's is."""
    _empty_paid_cart(order)


def cancel_locally(order: Order, reason: str, *, source: str = "shop") -> bool:
    """Give up on a pending order (cart changed, session expired). Returns False if too late."""
    if order.status != PENDING_PAYMENT:
        return False
    move(order, CANCELLED, source=source, reason=reason)
    return True
