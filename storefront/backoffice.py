"""What staff do to an order through the Points API: shipping status, cancel, refund, reconcile.

Each action checks the order locally first, so an obviously wrong request never reaches Points,
then makes one call through :func:`points.points_client`, which records it on the order's
timeline. A failed call changes nothing but that record, and raises :class:`ActionError` with a
sentence for staff saying what to do.

Cancel and refund do not change the order's financial status from Points' answer: only the
``cancelled`` / ``refunded`` webhook does (or reconciliation, for a lost one), so the order moves
the same way whoever asked Points. Shipping is different: Points' answer to our own request is
authoritative for it, so it is stored at once (the ``shipping_status_updated`` webhook follows).
"""
from decimal import Decimal, InvalidOperation
from typing import Optional

from flask import current_app

from . import orders, reconciliation
from .extensions import db
from .models import Order
from .points import SHIPPING_STATUSES, PointsError, points_client
from .transactions import lock_order
from .privacy import scrub

# Points' order_status values from which a cancel is allowed (decisions: "Cancel vs refund").
CANCELLABLE_AT_POINTS = {"new", "authorized"}

# Local statuses for each action.
CANCELLABLE = set(orders.AWAITING_POINTS)
REFUNDABLE = {orders.PAID, orders.PARTIALLY_REFUNDED, orders.NEEDS_REVIEW}
RECONCILABLE = set(orders.AWAITING_POINTS)

LABEL_MAX = 120
REASON_MAX = 500


class ActionError(Exception):
    """An action that did not happen. ``kind`` is ``refused`` (checked locally, no call made)
    or the :class:`PointsError` kind; ``errors`` holds Points' field errors for a 422."""

    def __init__(self, message: str, *, kind: str = "refused", errors: Optional[dict] = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.errors = errors or {}


def set_shipping_status(order: Order, status: str, name_ar: Optional[str] = None,
                        name_en: Optional[str] = None) -> str:
    """``POST /v1/orders/{uuid}/status``; stores the shipping status Points answers with."""
    name_ar, name_en = (name_ar or "").strip() or None, (name_en or "").strip() or None
    if status not in SHIPPING_STATUSES:
        raise ActionError(f"{status!r} is not a Points shipping status; choose one of {', '.join(SHIPPING_STATUSES)}.")
    if any(label and len(label) > LABEL_MAX for label in (name_ar, name_en)):
        raise ActionError(f"Shipping labels are at most {LABEL_MAX} characters.")
    if order.status not in orders.FULFILLABLE:
        raise ActionError(f"{order.order_number} is {_human(order.status)}: only a paid order can be shipped.")
    _require_uuid(order)

    remote = _call(order, lambda client: client.update_shipping_status(
        order.points_uuid, status, name_ar=name_ar, name_en=name_en))

    # The SPEC gives the resource's `status` as an integer and the webhook as a string: trust a
    # string from the enum, else what we asked for (Points answered 200 to it).
    answered = remote.raw.get("status")
    order.shipping_status = answered if answered in SHIPPING_STATUSES else status
    custom = remote.raw.get("custom_status") if isinstance(remote.raw.get("custom_status"), dict) else {}
    order.shipping_label_ar = _label(custom.get("ar")) or name_ar
    order.shipping_label_en = _label(custom.get("en")) or name_en
    db.session.commit()
    label = f" ({order.shipping_label_en or order.shipping_label_ar})" if (name_ar or name_en) else ""
    return f"Shipping status of {order.order_number} is now {_human(order.shipping_status)}{label}."


def cancel_order(order: Order, reason: str) -> str:
    """``POST /v1/orders/{uuid}/cancel`` for an order not yet paid; the webhook cancels it here."""
    reason = _require_reason(reason)
    if order.status not in CANCELLABLE:
        hint = " Refund it instead." if order.status in REFUNDABLE else ""
        raise ActionError(f"{order.order_number} is {_human(order.status)}: only an order not yet paid "
                          f"can be cancelled.{hint}")
    _require_uuid(order)
    if order.points_order_status not in CANCELLABLE_AT_POINTS:
        raise ActionError(
            f"Points has {order.order_number} as {order.points_order_status or 'unknown'}; cancel needs it "
            "new or authorized at Points. Reconcile the order to learn its current status."
        )
    _call(order, lambda client: client.cancel_order(order.points_uuid, reason))
    db.session.commit()  # the recorded call only: the `cancelled` webhook changes the order
    return f"Cancellation of {order.order_number} requested; the order updates when Points' webhook arrives."


def refund_order(order: Order, amount: Optional[Decimal], reason: str) -> str:
    """``POST /v1/orders/{uuid}/refund`` for ``amount`` SAR, or (``None``) all that is left."""
    reason = _require_reason(reason)
    if order.status not in REFUNDABLE:
        hint = " Cancel it instead." if order.status in CANCELLABLE else ""
        raise ActionError(f"{order.order_number} is {_human(order.status)}: only a paid order can be refunded.{hint}")
    _require_uuid(order)
    # No check of points_order_status here: a paid order's money moved at Points, and a late or
    # replayed webhook may have left that mirror stale. Points enforces its own rule (400).
    left = order.refundable_amount
    if left <= 0:
        raise ActionError(f"Nothing is left to refund on {order.order_number}.")
    if amount is not None:
        amount = parse_amount(amount)
        if amount <= 0:
            raise ActionError("A refund amount must be more than 0.00 SAR (leave it empty to refund everything left).")
        if amount > left:
            raise ActionError(f"{amount} SAR is more than the {left} SAR left to refund on {order.order_number}.")
    _call(order, lambda client: client.refund_order(order.points_uuid, amount, reason))
    db.session.commit()  # the recorded call only: the `refunded` webhook changes the order
    what = f"{amount} SAR" if amount is not None else f"the remaining {left} SAR"
    return f"Refund of {what} requested; the order updates when Points' webhook arrives."


def accept_after_review(order: Order, note: str) -> str:
    """Staff checked a ``needs_review`` order (amount mismatch, paid after cancel) and ship it.

    Local only: Points already holds the money. To give it back instead, refund the order.
    """
    note = _require_reason(note)
    order = lock_order(Order.id == order.id)
    if order.status != orders.NEEDS_REVIEW:
        raise ActionError(f"{order.order_number} is {_human(order.status)}: only an order under review is accepted.")
    orders.move(order, orders.PAID, source="admin", reason=f"Accepted after review: {note}")
    db.session.commit()
    return f"{order.order_number} is accepted and released for fulfilment."


def reconcile_order(order: Order) -> str:
    """Ask Points about one order still waiting for its webhook (see reconciliation.py)."""
    if order.status not in RECONCILABLE:
        raise ActionError(f"{order.order_number} is {_human(order.status)}: its webhook already came; "
                          "only an order waiting for payment is reconciled.")
    try:
        return reconciliation.reconcile_order(order)
    except PointsError as error:
        raise ActionError(staff_message(error, order), kind=error.kind, errors=error.errors) from None


def parse_amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ActionError(f"{value!r} is not an amount in SAR.") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ActionError("An amount in SAR has at most two decimal places.")
    return amount.quantize(Decimal("0.01"))


def staff_message(error: PointsError, order: Optional[Order] = None) -> str:
    """A sentence for staff: what Points said and what to do about it. Never shows a key."""
    said = _safe(error.message)
    uuid = order.points_uuid or order.points_uuid_hint if order is not None else None
    if error.kind == "auth":
        return "Points did not accept the shop's API key. Check POINTS_PRIVATE_KEY (and that it belongs to this Points environment)."
    if error.kind == "forbidden":
        return f"Points refused access: {said}. Check the merchant account's permissions and IP whitelist at Points."
    if error.kind == "not_found":
        return (f"Points does not know the order {uuid or ''}. Check that POINTS_API_URL and the keys point at the "
                "environment where it was created.")
    if error.kind == "rejected":
        return f"Points refused: {said}. Reconcile the order or read its timeline to see its status at Points."
    if error.kind == "validation":
        fields = "; ".join(f"{name}: {' '.join(_safe(m) for m in messages)}" for name, messages in error.errors.items())
        return f"Points rejected the request: {fields or said}. Correct it and try again."
    if error.kind == "rate_limited":
        return "Points is limiting requests right now (429). Wait a minute and try again."
    if error.kind == "server":
        return "Points had an internal error. Nothing changed here; try again in a moment."
    if error.kind == "timeout":
        return ("Points did not answer in time. Nothing changed here, but Points may have acted: wait for its webhook "
                "or check the timeline before trying again.")
    if error.kind == "connection":
        return "Could not reach Points. Check POINTS_API_URL and the network, then try again."
    return f"Points answered in an unexpected way ({said}). Nothing changed here; see the call on the timeline."


# --- helpers ---------------------------------------------------------------------------------

def _call(order: Order, action):
    try:
        return action(points_client(order))
    except PointsError as error:
        db.session.commit()  # keep the recorded call on the timeline; nothing else has changed
        raise ActionError(staff_message(error, order), kind=error.kind, errors=error.errors) from None


def _require_uuid(order: Order) -> None:
    if not order.points_uuid:
        raise ActionError(f"{order.order_number} has no confirmed Points order yet (no webhook, no reconciliation); "
                          "reconcile it first.")


def _require_reason(reason: Optional[str]) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("Give a reason: Points stores it and shows it in its webhook.")
    if len(reason) > REASON_MAX:
        raise ActionError(f"A reason is at most {REASON_MAX} characters.")
    return reason


def _label(value) -> Optional[str]:
    return value[:LABEL_MAX] if isinstance(value, str) and value.strip() else None


def _safe(text) -> str:
    cfg = current_app.config
    return scrub(str(text or ""), (cfg.get("POINTS_PRIVATE_KEY"), cfg.get("POINTS_WEBHOOK_SECRET")))


def _human(status: Optional[str]) -> str:
    return (status or "unknown").replace("_", " ")
