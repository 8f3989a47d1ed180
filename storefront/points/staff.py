"""What staff do to an order through the Points API: shipping status, cancel, refund, reconcile,
and settle an order Points never said a word about (enter its uuid, or close it as unpaid).

Each action reads the order under a write lock (``lock_order``) and checks it there, so an
obviously wrong request never reaches Points and two staff members see each other's result;
the lock is released before the one call through :func:`points.points_client`, which records
it on the order's timeline. A failed call changes nothing but that record, and raises
:class:`ActionError` with a sentence for staff saying what to do.

Money-moving forms (refund, cancel) carry a one-time ``submission_key``, claimed by inserting a
:class:`StaffSubmission` row before Points is called: the unique key makes the same submission
arriving twice (a double click, a reload, two tabs) call Points once, across processes too.

Cancel and refund do not change the order's financial status from Points' answer: only the
``cancelled`` / ``refunded`` webhook does (or reconciliation, for a lost one), so the order moves
the same way whoever asked Points. Shipping is different: Points' answer to our own request is
authoritative for it, so it is stored at once (the ``shipping_status_updated`` webhook follows).
"""

import uuid as uuidlib
from decimal import Decimal
from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..formatting import sar_text
from ..i18n import current_language, isolated
from ..labels import SHIPPING_STATUS, shipping_labels, status_in_a_sentence, words
from ..models import AdminUser, Order, StaffSubmission
from ..money import parse_decimal
from ..privacy import scrub
from . import earn, orders, reconcile
from .client import SHIPPING_STATUSES, PointsError, points_client, points_uuid
from .locks import lock_order

# Points' order_status values from which a cancel is allowed (decisions: "Cancel vs refund").
CANCELLABLE_AT_POINTS = {"new", "authorized"}

# Local statuses for each action.
CANCELLABLE = set(orders.AWAITING_POINTS)
REFUNDABLE = {orders.PAID, orders.PARTIALLY_REFUNDED, orders.NEEDS_REVIEW}  # not a review for no word
RECONCILABLE = set(orders.AWAITING_POINTS)  # and a review for no word once a uuid is known

LABEL_MAX = 120
REASON_MAX = 500


class ActionError(Exception):
    """An action that did not happen. ``kind`` is ``refused`` (checked locally, no call made),
    ``duplicate`` (this submission was already received), ``not_ours`` (the Points order
    belongs to another order_number) or the :class:`PointsError` kind; ``errors`` holds Points'
    field errors for a 422."""

    def __init__(self, message: str, *, kind: str = "refused", errors: Optional[dict] = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.errors = errors or {}


def set_shipping_status(order: Order, status: str, name_ar: Optional[str] = None, name_en: Optional[str] = None) -> str:
    """``POST /v1/orders/{uuid}/status``; stores the shipping status Points answers with."""
    name_ar, name_en = (name_ar or "").strip() or None, (name_en or "").strip() or None
    if status not in SHIPPING_STATUSES:
        raise ActionError(
            _(
                "%(status)r is not a Points shipping status; choose one of %(choices)s.",
                status=status,
                choices=", ".join(SHIPPING_STATUSES),
            )
        )
    staff_labelled = bool(name_ar or name_en)
    if not staff_labelled:
        # Both of our own words for the status, so Points shows the shopper ours in either language
        # (given one label only, Points machine-translates the other).
        name_ar, name_en = shipping_labels(status)
    if any(label and len(label) > LABEL_MAX for label in (name_ar, name_en)):
        raise ActionError(_("Shipping labels are at most %(max)d characters.", max=LABEL_MAX))
    order = lock_order(Order.id == order.id)
    try:
        if order.status not in orders.FULFILLABLE:
            raise ActionError(
                _(
                    "%(order)s is %(status)s: only a paid order can be shipped.",
                    order=isolated(order.order_number),
                    status=status_in_a_sentence(order.status),
                )
            )
        _require_uuid(order)
    finally:
        db.session.commit()  # the lock is not held during the call

    remote = _call(
        order, lambda client: client.update_shipping_status(order.points_uuid, status, name_ar=name_ar, name_en=name_en)
    )
    order = lock_order(Order.id == order.id)

    # The SPEC gives the resource's `status` as an integer and the webhook as a string: trust a
    # string from the enum, else what we asked for (Points answered 200 to it).
    answered = remote.raw.get("status")
    order.shipping_status = answered if answered in SHIPPING_STATUSES else status
    custom = remote.raw.get("custom_status") if isinstance(remote.raw.get("custom_status"), dict) else {}
    order.shipping_label_ar = _label(custom.get("ar")) or name_ar
    order.shipping_label_en = _label(custom.get("en")) or name_en
    db.session.commit()
    shown = _human_shipping(order.shipping_status)
    if staff_labelled:
        label = order.shipping_label_ar if current_language() == "ar" else order.shipping_label_en
        shown = f"{shown} ({isolated(label or order.shipping_label_en or order.shipping_label_ar)})"
    return _("Shipping status of %(order)s is now %(status)s.", order=isolated(order.order_number), status=shown)


def cancel_order(order: Order, reason: str, *, submission_key: str) -> str:
    """``POST /v1/orders/{uuid}/cancel`` for an order not yet paid; the webhook cancels it here."""
    reason = _require_reason(reason)
    return _once(order, "cancel", submission_key, lambda order: _cancel(order, reason))


def _cancel(order: Order, reason: str) -> str:
    if order.status not in CANCELLABLE:
        hint = " " + _("Refund it instead.") if can_refund(order) else ""
        raise ActionError(
            _(
                "%(order)s is %(status)s: only an order not yet paid can be cancelled.",
                order=isolated(order.order_number),
                status=status_in_a_sentence(order.status),
            )
            + hint
        )
    _require_uuid(order)
    if order.points_order_status not in CANCELLABLE_AT_POINTS:
        raise ActionError(
            _(
                "Points has %(order)s as %(points_status)s; cancel needs it new or authorized at Points. "
                "Reconcile the order to learn its current status.",
                order=isolated(order.order_number),
                points_status=isolated(order.points_order_status or _("unknown")),
            )
        )
    db.session.commit()  # the claim is kept and the lock released before the call
    _call(order, lambda client: client.cancel_order(order.points_uuid, reason))
    db.session.commit()  # the recorded call only: the `cancelled` webhook changes the order
    return _(
        "Cancellation of %(order)s requested; the order updates when Points' webhook arrives.",
        order=isolated(order.order_number),
    )


def refund_order(
    order: Order, amount: Optional[Decimal], reason: str, *, submission_key: str, staff: Optional[AdminUser] = None
) -> str:
    """``POST /v1/orders/{uuid}/refund`` for ``amount`` SAR, or (``None``) all that is left.

    A cash-on-delivery order is refunded by staff (cash back, recorded here); its earned points
    are then reversed through the refund call on its earning order."""
    reason = _require_reason(reason)
    if orders.is_cash_on_delivery(order):
        return _once(order, "refund", submission_key, lambda order: _refund_cash(order, amount, reason, staff))
    return _once(order, "refund", submission_key, lambda order: _refund(order, amount, reason))


def mark_collected(order: Order, staff: Optional[AdminUser] = None) -> str:
    """The cash is in: the order is paid, and its earning is written in the same transaction."""
    order = lock_order(Order.id == order.id)
    if not orders.is_cash_on_delivery(order) or order.status != orders.AWAITING_COLLECTION:
        db.session.commit()
        raise ActionError(
            _(
                "%(order)s is %(status)s: only a cash on delivery order awaiting collection is marked collected.",
                order=order.order_number,
                status=status_in_a_sentence(order.status),
            )
        )
    with orders.caused_by(order, staff_user=staff):
        orders.move(order, orders.PAID, source="admin", reason="Cash collected")
    earn.queue(order)
    db.session.commit()
    return _("%(order)s is marked collected; its points are being sent to Points.", order=order.order_number)


def cancel_cash_order(order: Order, reason: str, staff: Optional[AdminUser] = None) -> str:
    """A cash order not collected (refused at the door): cancelled here; Points never heard of it."""
    reason = _require_reason(reason)
    order = lock_order(Order.id == order.id)
    if order.status != orders.AWAITING_COLLECTION:
        db.session.commit()
        raise ActionError(
            _(
                "%(order)s is %(status)s: only a cash order awaiting collection is cancelled.",
                order=order.order_number,
                status=status_in_a_sentence(order.status),
            )
        )
    with orders.caused_by(order, staff_user=staff):
        orders.move(order, orders.CANCELLED, source="admin", reason=reason)
    db.session.commit()
    return _("%(order)s is cancelled.", order=order.order_number)


def send_earning_again(order: Order) -> str:
    """Points refused the earning (403, 422) and staff fixed the cause: send it again."""
    order = lock_order(Order.id == order.id)
    earning = order.earning
    if earning is None or earning.state != earn.REFUSED:
        db.session.commit()
        raise ActionError(_("Only an earning Points refused is sent again."))
    earn.send_again(earning)
    db.session.commit()
    return _("The earning of %(order)s is sent again.", order=order.order_number)


EXTRA_EARNING_REASON = "A second earning order for the same purchase"


def refund_extra_earning(order: Order, *, submission_key: str, staff: Optional[AdminUser] = None) -> str:
    """Points holds a second earning order under this order_number (an ambiguous answer sent
    again): ``POST /v1/orders/{uuid}/refund`` in full on that extra uuid, never on the kept one."""
    return _once(order, "refund_extra_earning", submission_key, lambda order: _refund_extra(order, staff))


def _refund_extra(order: Order, staff: Optional[AdminUser]) -> str:
    earning = order.earning
    if earning is None or not earning.extra_uuid:
        raise ActionError(_("%(order)s has no second earning order to refund.", order=order.order_number))
    extra = earning.extra_uuid
    db.session.commit()  # the claim is kept; the lock is released before the call (on the timeline)
    _call(order, lambda client: client.refund_order(extra, None, EXTRA_EARNING_REASON))
    earning = lock_order(Order.id == order.id).earning
    if earning.extra_uuid == extra:
        earning.extra_uuid = None
    db.session.commit()
    return _("The second earning order %(uuid)s is refunded at Points; its points are reversed.", uuid=extra)


def _refund_cash(order: Order, amount, reason: str, staff: Optional[AdminUser]) -> str:
    if order.status not in (orders.PAID, orders.PARTIALLY_REFUNDED):
        raise ActionError(
            _(
                "%(order)s is %(status)s: only a collected order can be refunded.",
                order=order.order_number,
                status=status_in_a_sentence(order.status),
            )
        )
    left = order.refundable_amount
    amount = left if amount is None else parse_amount(amount)
    if amount <= 0 or amount > left:
        raise ActionError(
            _(
                "%(amount)s is more than the %(left)s left to refund on %(order)s.",
                amount=sar_text(amount),
                left=sar_text(left),
                order=order.order_number,
            )
        )
    earning, full = order.earning, amount == left
    if earning is not None and earning.state in (earn.SENDING, earn.AWAITING_WEBHOOK, earn.PENDING_ACTIVATION):
        raise ActionError(
            _(
                "Points has not settled this order's earning yet (%(state)s), so its points cannot be reversed: "
                "refund it once the earning is approved.",
                state=earning_state_words(earning.state),
            )
        )
    if earning is not None and earning.state in (earn.PENDING, earn.REFUSED) and not full:
        raise ActionError(_("The earning is not at Points yet: refund the whole order, or wait until it is approved."))
    with orders.caused_by(order, staff_user=staff):
        orders.move(
            order,
            orders.REFUNDED if full else orders.PARTIALLY_REFUNDED,
            source="admin",
            reason=f"Cash refunded: {reason}",
        )
    order.refunded_amount = (order.refunded_amount or Decimal("0.00")) + amount
    reverse = earning is not None and earning.state == earn.APPROVED and bool(earning.uuid)
    if earning is not None and earning.state in (earn.PENDING, earn.REFUSED):
        earning.state = earn.CANCELLED  # refunded in full before Points had it: never sent
    db.session.commit()  # the local refund is recorded; the lock is released before the call
    recorded = _("Refund of %(amount)s recorded.", amount=sar_text(amount))
    if not reverse:
        return recorded
    uuid = earning.uuid
    _call(order, lambda client: client.refund_order(uuid, None if full else amount, reason))
    return recorded + " " + _("Reversal of its points requested; Points' webhook confirms it.")


EARNING_STATES = {
    earn.PENDING: _l("waiting to be sent"),
    earn.SENDING: _l("being sent"),
    earn.AWAITING_WEBHOOK: _l("waiting for Points' webhook"),
    earn.APPROVED: _l("approved"),
    earn.PENDING_ACTIVATION: _l("waiting for the shopper to activate Points"),
    earn.REFUSED: _l("refused by Points"),
    earn.CANCELLED: _l("not sent (refunded first)"),
    earn.REVERSED: _l("reversed"),
}


def earning_state_words(state: str) -> str:
    return words(EARNING_STATES, state)


def can_refund(order: Order) -> bool:
    """Money is known to have moved: paid, partly refunded, or under review after a payment."""
    return order.status in REFUNDABLE and not orders.no_word_from_points(order)


def _refund(order: Order, amount, reason: str) -> str:
    if orders.no_word_from_points(order):
        raise ActionError(
            _(
                "Points never said %(order)s was paid: enter its Points uuid first (or close it as unpaid).",
                order=isolated(order.order_number),
            )
        )
    if not can_refund(order):
        hint = " " + _("Cancel it instead.") if order.status in CANCELLABLE else ""
        raise ActionError(
            _(
                "%(order)s is %(status)s: only a paid order can be refunded.",
                order=isolated(order.order_number),
                status=status_in_a_sentence(order.status),
            )
            + hint
        )
    _require_uuid(order)
    # No check of points_order_status here: a paid order's money moved at Points, and a late or
    # replayed webhook may have left that mirror stale. Points enforces its own rule (400).
    left = order.refundable_amount
    if left <= 0:
        raise ActionError(_("Nothing is left to refund on %(order)s.", order=isolated(order.order_number)))
    if amount is not None:
        amount = parse_amount(amount)
        if amount <= 0:
            raise ActionError(
                _(
                    "A refund amount must be more than %(zero)s (leave it empty to refund everything left).",
                    zero=sar_text(0),
                )
            )
        if amount > left:
            raise ActionError(
                _(
                    "%(amount)s is more than the %(left)s left to refund on %(order)s.",
                    amount=sar_text(amount),
                    left=sar_text(left),
                    order=isolated(order.order_number),
                )
            )
    db.session.commit()  # the claim is kept and the lock released before the call
    _call(order, lambda client: client.refund_order(order.points_uuid, amount, reason))
    db.session.commit()  # the recorded call only: the `refunded` webhook changes the order
    if amount is None:
        return _(
            "Refund of the remaining %(left)s requested; the order updates when Points' webhook arrives.",
            left=sar_text(left),
        )
    return _("Refund of %(amount)s requested; the order updates when Points' webhook arrives.", amount=sar_text(amount))


def accept_after_review(order: Order, note: str, staff: Optional[AdminUser] = None) -> str:
    """Staff checked a ``needs_review`` order (amount mismatch, paid after cancel) and ship it.

    Local only: Points already holds the money. To give it back instead, refund the order.
    """
    note = _require_reason(note)
    order = lock_order(Order.id == order.id)
    if order.status != orders.NEEDS_REVIEW:
        db.session.commit()
        raise ActionError(
            _(
                "%(order)s is %(status)s: only an order under review is accepted.",
                order=isolated(order.order_number),
                status=status_in_a_sentence(order.status),
            )
        )
    if orders.no_word_from_points(order):
        db.session.commit()
        raise ActionError(
            _(
                "Points never said %(order)s was paid, so it cannot be accepted: enter its "
                "Points uuid from the Points dashboard, or close it as unpaid.",
                order=isolated(order.order_number),
            )
        )
    with orders.caused_by(order, staff_user=staff):
        orders.move(order, orders.PAID, source="admin", reason=f"Accepted after review: {note}")
    db.session.commit()
    return _("%(order)s is accepted and released for fulfilment.", order=isolated(order.order_number))


def checkout_failed(order: Order) -> bool:
    """Pay was pressed and Points answered the checkout call with an error (a 500, a 429): the
    shopper was never sent to Points, so no Points order exists and nothing can be charged."""
    return order.status == orders.PENDING_PAYMENT and not order.checkout_url and bool(order.last_error)


def offered_actions(order: Order) -> tuple[dict[str, bool], list[str]]:
    """The actions that can work for this order now, and a sentence for each one staff might look
    for and not find: never an offer that only sends them to another ("reconcile first", then
    "nothing to ask")."""
    no_word = orders.no_word_from_points(order)
    cash = orders.is_cash_on_delivery(order)
    minutes = current_app.config["CHECKOUT_SESSION_MINUTES"]
    uuid_to_ask = bool(order.points_uuid or order.points_uuid_hint)
    waiting = order.status in orders.AWAITING_POINTS
    can = {
        # Points accepts a shipping status on approved, captured or partially_refunded (decisions).
        "shipping": order.status in orders.FULFILLABLE and bool(order.points_uuid),
        "cancel": order.status in CANCELLABLE
        and bool(order.points_uuid)
        and order.points_order_status in CANCELLABLE_AT_POINTS,
        "refund": can_refund(order) and order.refundable_amount > 0,
        # With nothing to ask, reconciling does something only once the session life is over.
        "reconcile": can_reconcile(order) and (uuid_to_ask or reconcile.session_life_over(order)),
        "accept": order.status == orders.NEEDS_REVIEW and not no_word,
        "points_uuid": no_word,
        "close_unpaid": no_word,
        # Cash on delivery: staff collect the money, then the earning goes to Points (earn.py).
        "collect": cash and order.status == orders.AWAITING_COLLECTION,
        "cash_cancel": cash and order.status == orders.AWAITING_COLLECTION,
        "send_earning": cash and order.earning is not None and order.earning.state == "refused",
        "refund_extra_earning": cash and order.earning is not None and bool(order.earning.extra_uuid),
    }
    why = []
    if checkout_failed(order):
        why.append(
            _(
                "The checkout call failed, so the shopper was never sent to Points: no Points order exists and "
                "nothing can be charged. Nothing to do: if the shopper presses Pay again the order is tried "
                "again (or replaced), and reconciliation closes it as never started after the %(minutes)d-minute "
                "session life.",
                minutes=minutes,
            )
        )
    elif waiting and not uuid_to_ask and not can["reconcile"]:
        why.append(
            _(
                "No Points order is known yet (no webhook, no callback): nothing to cancel or ask at Points. "
                "If the shopper pays, Points' webhook updates this page; if not, reconciliation puts it up for "
                "review after the %(minutes)d-minute session life (it may have been paid).",
                minutes=minutes,
            )
        )
    elif waiting and order.points_uuid and not can["cancel"]:
        if order.points_order_status:
            why.append(
                _(
                    "Cancel is not offered: Points has the order as %(points_status)s, and cancels only an order "
                    "it has as new or authorized.",
                    points_status=isolated(order.points_order_status),
                )
            )
        else:
            why.append(_("Cancel is offered once Points' status for the order is known: reconcile to ask Points."))
    return can, why


def can_reconcile(order: Order) -> bool:
    """Waiting for Points, or under review for no word with a uuid (or hint) to ask about."""
    return order.status in RECONCILABLE or (
        orders.no_word_from_points(order) and bool(order.points_uuid or order.points_uuid_hint)
    )


def reconcile_order(order: Order) -> str:
    """Ask Points about one order still waiting for its webhook (see reconcile.py)."""
    if not can_reconcile(order):
        raise ActionError(
            _(
                "%(order)s is %(status)s: its webhook already came; only an order waiting for payment is reconciled.",
                order=isolated(order.order_number),
                status=status_in_a_sentence(order.status),
            )
        )
    try:
        return reconcile.reconcile_order(order)
    except PointsError as error:
        raise ActionError(staff_message(error, order), kind=error.kind, errors=error.errors) from None


def settle_with_points_uuid(order: Order, points_uuid: str, staff: Optional[AdminUser] = None) -> str:
    """Staff found a "no word from Points" order in the Points dashboard and entered its uuid.

    ``GET /v1/orders/{uuid}`` must answer with our ``order_number``; then the answer is applied
    as reconciliation applies any other (same state machine, recorded on the timeline).
    """
    points_uuid = parse_points_uuid(points_uuid)
    _require_no_word(order, NOT_NO_WORD_UUID)
    try:
        calls = []
        remote = points_client(order, calls).get_order(points_uuid)
    except PointsError as error:
        db.session.commit()  # keep the recorded call on the timeline; nothing else has changed
        raise ActionError(staff_message(error, order, points_uuid), kind=error.kind, errors=error.errors) from None
    db.session.commit()  # the recorded call stays on the timeline
    if not reconcile.belongs_to(order, remote):
        raise ActionError(
            _(
                "Points order %(uuid)s belongs to %(other)s, not to %(order)s: nothing changed. "
                "Check the uuid in the Points dashboard.",
                uuid=isolated(points_uuid),
                other=remote.order_number or _("no order number"),
                order=isolated(order.order_number),
            ),
            kind="not_ours",
        )
    order = _require_no_word(order, NOT_NO_WORD_UUID, keep_lock=True)  # another tab may have settled it
    return reconcile.apply_points_order(order, remote, calls[-1], staff)


def close_as_unpaid(order: Order, reason: str, staff: Optional[AdminUser] = None) -> str:
    """Staff found no payment for a "no word from Points" order: cancel it here, with why."""
    reason = _require_reason(reason, _("Say why it is unpaid (e.g. not in the Points dashboard)."))
    order = _require_no_word(order, NOT_NO_WORD_CLOSE, keep_lock=True)
    with orders.caused_by(order, staff_user=staff):
        orders.move(order, orders.CANCELLED, source="admin", reason=f"Closed as unpaid after review: {reason}")
    db.session.commit()
    return _("%(order)s is closed as unpaid (cancelled).", order=isolated(order.order_number))


def parse_points_uuid(text) -> str:
    """A Points order uuid as staff paste it; only a well-formed UUID ever goes into an API path."""
    try:
        return points_uuid(text or "")
    except ValueError:
        raise ActionError(_("That is not a Points order uuid (like 9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d).")) from None


def parse_amount(value) -> Decimal:
    amount = parse_decimal(value)
    if amount is None:
        raise ActionError(_("%(value)r is not an amount in SAR.", value=value))
    if amount != amount.quantize(Decimal("0.01")):
        raise ActionError(_("An amount in SAR has at most two decimal places."))
    return amount.quantize(Decimal("0.01"))


def staff_message(error: PointsError, order: Optional[Order] = None, uuid: Optional[str] = None) -> str:
    """A sentence for staff: what Points said and what to do about it. Never shows a key."""
    said = _safe(error.message).rstrip(". ")  # each sentence below ends with its own period
    if uuid is None and order is not None:
        uuid = order.points_uuid or order.points_uuid_hint
    if error.kind == "auth":
        return _(
            "Points did not accept the shop's API key. Check POINTS_PRIVATE_KEY (and that it belongs to this "
            "Points environment)."
        )
    if error.kind == "forbidden":
        return _(
            "Points refused access: %(said)s. Check the merchant account's permissions and IP whitelist at Points.",
            said=isolated(said),
        )
    if error.kind == "not_found":
        return _(
            "Points does not know the order %(uuid)s. Check that POINTS_API_URL and the keys point at the "
            "environment where it was created.",
            uuid=isolated(uuid or ""),
        )
    if error.kind == "rejected":
        return _(
            "Points refused: %(said)s. Reconcile the order or read its timeline to see its status at Points.",
            said=isolated(said),
        )
    if error.kind == "validation":
        fields = "; ".join(f"{name}: {' '.join(_safe(m) for m in messages)}" for name, messages in error.errors.items())
        return _("Points rejected the request: %(said)s. Correct it and try again.", said=isolated(fields or said))
    if error.kind == "rate_limited":
        return _("Points is limiting requests right now (429). Wait a minute and try again.")
    if error.kind == "server":
        return _("Points had an internal error. Nothing changed here; try again in a moment.")
    if error.kind == "timeout":
        return _(
            "Points did not answer in time. Nothing changed here, but Points may have acted: wait for its "
            "webhook or check the timeline before trying again."
        )
    if error.kind == "connection":
        return _("Could not reach Points. Check POINTS_API_URL and the network, then try again.")
    return _(
        "Points answered in an unexpected way (%(said)s). Nothing changed here; see the call on the timeline.",
        said=isolated(said),
    )


# --- helpers ---------------------------------------------------------------------------------


def _call(order: Order, action):
    """Make one call to Points and commit its record (the timeline keeps it, answered or not)."""
    try:
        answer = action(points_client(order))
    except PointsError as error:
        db.session.commit()
        raise ActionError(staff_message(error, order), kind=error.kind, errors=error.errors) from None
    db.session.commit()
    return answer


def _once(order: Order, action: str, key, decide_and_call: Callable[[Order], str]) -> str:
    """Claim the submission's one-time key, then run the action on the order read under a lock.

    The claim is an insert into a unique column: of two arrivals of one submission, however close,
    one inserts and the other fails and is told, without a call to Points. The action commits
    (keeping the claim, releasing the lock) before it calls Points.
    """
    key = _require_key(key)
    order = lock_order(Order.id == order.id)
    submission = StaffSubmission(key=key, order_id=order.id, action=action)
    db.session.add(submission)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        first = db.session.scalar(sa.select(StaffSubmission).where(StaffSubmission.key == key))
        said = (
            first.outcome
            if first is not None and first.outcome
            else _("Its outcome is not known yet: reload the order in a moment.")
        )
        form = {"refund": _("refund"), "cancel": _("cancel")}.get(action, action)
        raise ActionError(
            _("This %(form)s form was already submitted, so it was not sent to Points again.", form=form) + " " + said,
            kind="duplicate",
        ) from None
    try:
        message = decide_and_call(order)
    except ActionError as error:
        _settle(submission, error.message)
        raise
    _settle(submission, message)
    return message


def _settle(submission: StaffSubmission, outcome: str) -> None:
    submission.outcome = outcome
    db.session.commit()


def _require_key(key) -> str:
    try:
        return str(uuidlib.UUID(str(key or "")))
    except ValueError:
        raise ActionError(_("This form is out of date: reload the order page and submit it again.")) from None


NOT_NO_WORD_UUID = _l("a Points uuid is entered only for an order Points never said a word about.")
NOT_NO_WORD_CLOSE = _l(
    "only an order Points never said a word about is closed as unpaid; where money moved, refund it or accept it."
)


def _require_no_word(order: Order, refusal: str, keep_lock: bool = False) -> Order:
    """The order read under a lock, if it is under review for no word from Points."""
    order = lock_order(Order.id == order.id)
    if not orders.no_word_from_points(order):
        db.session.commit()
        raise ActionError(
            _(
                "%(order)s is %(status)s: %(refusal)s",
                order=isolated(order.order_number),
                status=status_in_a_sentence(order.status),
                refusal=refusal,
            )
        )
    if not keep_lock:
        db.session.commit()
    return order


def _require_uuid(order: Order) -> None:
    if not order.points_uuid:
        raise ActionError(
            _(
                "%(order)s has no confirmed Points order yet (no webhook, no reconciliation); reconcile it first.",
                order=isolated(order.order_number),
            )
        )


def _require_reason(reason: Optional[str], missing: Optional[str] = None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(missing or _("Give a reason: Points stores it and shows it in its webhook."))
    if len(reason) > REASON_MAX:
        raise ActionError(_("A reason is at most %(max)d characters.", max=REASON_MAX))
    return reason


def _label(value) -> Optional[str]:
    return value[:LABEL_MAX] if isinstance(value, str) and value.strip() else None


def _safe(text) -> str:
    cfg = current_app.config
    return scrub(str(text or ""), (cfg.get("POINTS_PRIVATE_KEY"), cfg.get("POINTS_WEBHOOK_SECRET")))


def _human_shipping(status: Optional[str]) -> str:
    return words(SHIPPING_STATUS, status).lower() if status else _("unknown")
