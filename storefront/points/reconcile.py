"""Reconciliation: ask Points about orders whose webhook never came, and apply the answer.

An operator command (``flask --app wsgi reconcile``) and the admin both end here. The answer of
``GET /v1/orders/{uuid}`` goes through the same state machine as a webhook (``orders.py``), and
the timeline records that reconciliation, not a webhook, moved the order.

Points has no lookup by ``order_number``: only a uuid can be asked about. With none (no webhook
came, and the shopper never brought a hint back), the shop cannot know whether the order was
paid. Past the session life it is therefore never cancelled, but put to staff as "no word from
Points" (decisions), unless Points never gave it a ``checkout_url``: then the shopper never saw
a checkout, nothing can have been paid, and it is cancelled.

Runs overlap (cron and a slow previous run, two demo workers' threads): each order is claimed by
one atomic UPDATE of ``reconcile_claimed_at`` before Points is asked, so only one run asks about
it; a claim older than ``CLAIM_SECONDS`` is a crashed run's and may be taken over.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..i18n import isolated
from ..models import AdminUser, Order, PointsApiCall, utcnow
from . import orders
from .client import PointsError, PointsOrder, points_client
from .locks import lock_order


def reconcile_order(order: Order) -> str:
    """Ask Points about one order whose webhook never came, and apply the answer.

    Uses the ``uuid`` from a webhook, else the callback's unverified hint, whose ``order_number``
    is checked before anything is applied. With no uuid past the session life, the order goes to
    review (or is cancelled if it never had a checkout_url). Returns a sentence for staff;
    raises PointsError on a failed call.
    """
    uuid = order.points_uuid or order.points_uuid_hint
    if not uuid:
        return _no_uuid(order)

    try:
        calls = []
        remote = points_client(order, calls).get_order(uuid)
    except PointsError as error:
        db.session.commit()  # the recorded call stays on the timeline
        if error.kind == "not_found" and not order.points_uuid:
            # A hint anyone could have typed into the return URL: it must not keep the order
            # from review forever.
            order = lock_order(Order.id == order.id)
            order.points_uuid_hint = None
            db.session.commit()
            return _no_uuid(
                order,
                note=_("Points does not know the hinted order %(uuid)s; the hint was dropped.", uuid=isolated(uuid)),
            )
        raise
    db.session.commit()  # the recorded call stays on the timeline
    order = lock_order(Order.id == order.id)  # locked only now, not during the HTTP call
    if not belongs_to(order, remote):
        if order.points_uuid_hint == uuid:
            order.points_uuid_hint = None
        db.session.commit()
        return _(
            "%(order)s: Points order %(uuid)s belongs to %(other)r, not to this order; the hint was dropped.",
            order=isolated(order.order_number),
            uuid=isolated(uuid),
            other=remote.order_number,
        )
    return apply_points_order(order, remote, calls[-1])


def belongs_to(order: Order, remote: PointsOrder) -> bool:
    """The Points order carries this order's order_number (Points may prefix it with ``#``)."""
    return remote.order_number.lstrip("#") == order.order_number


def apply_points_order(
    order: Order, remote: PointsOrder, answered_by: PointsApiCall, staff: Optional[AdminUser] = None
) -> str:
    """Apply what ``GET /v1/orders/{uuid}`` answered (the call ``answered_by``, made for ``staff`` if
    they entered the uuid), as a webhook would, and commit. ``order`` was read under ``lock_order``
    and checked with :func:`belongs_to` by the caller.
    """
    order.points_uuid = remote.uuid
    order.points_reference_number = remote.reference_number or order.points_reference_number
    with orders.caused_by(order, api_call=answered_by, staff_user=staff):
        outcome = orders.apply_points_status(
            order, remote.order_status, source="reconciliation", total_price=remote.total_price
        )
    db.session.commit()
    return _(
        "%(order)s: Points says %(points_status)s; %(outcome)s (%(detail)s).",
        order=isolated(order.order_number),
        points_status=isolated(remote.order_status),
        outcome=outcome.outcome.value,
        detail=outcome.detail,
    )


def session_life_over(order: Order) -> bool:
    """Points' checkout session for this order (or the press of Pay that never got one) is over."""
    expired_before = utcnow() - timedelta(minutes=current_app.config["CHECKOUT_SESSION_MINUTES"])
    return (order.checkout_started_at or order.created_at) < expired_before


def _no_uuid(order: Order, note: str = "") -> str:
    """No uuid to ask about: wait out the session life, then review (or cancel, never started)."""
    order = lock_order(Order.id == order.id)
    note = f" {note}" if note else ""
    if order.status != orders.PENDING_PAYMENT or not session_life_over(order):
        db.session.commit()
        return _("%(order)s: no Points order known yet; nothing to ask.", order=isolated(order.order_number)) + note
    if not order.checkout_url:
        orders.cancel_locally(order, orders.NEVER_STARTED, source="reconciliation")
        db.session.commit()
        return (
            _(
                "%(order)s: checkout never started: Points gave no checkout_url, so the shopper saw no "
                "checkout; cancelled.",
                order=isolated(order.order_number),
            )
            + note
        )
    orders.move(order, orders.NEEDS_REVIEW, source="reconciliation", reason=orders.NO_WORD_FROM_POINTS)
    db.session.commit()
    return (
        _(
            "%(order)s: no word from Points within the session life. It may be paid, so it is not cancelled: "
            "it needs review (find it in the Points dashboard, then enter its uuid or close it as unpaid).",
            order=isolated(order.order_number),
        )
        + note
    )


# Longer than the slowest reconciliation of one order: three tries of the timeout plus the waits.
CLAIM_SECONDS = 300


@dataclass
class Reconciled:
    """What one run said about one order; ``failed`` when Points could not be asked."""

    order_number: str
    message: str
    failed: bool = False


def claim_for_reconciliation(order_id: int) -> bool:
    """Take the order for this run, unless another run took it within CLAIM_SECONDS or has
    settled it already. One atomic UPDATE, committed at once: two runs at the same moment cannot
    both get it."""
    now = utcnow()
    taken = db.session.execute(
        sa.update(Order)
        .where(
            Order.id == order_id,
            # Still waiting for Points: another run may have settled it since this one listed it.
            Order.status.in_(orders.AWAITING_POINTS),
            sa.or_(
                Order.reconcile_claimed_at.is_(None),
                Order.reconcile_claimed_at < now - timedelta(seconds=CLAIM_SECONDS),
            ),
        )
        .values(reconcile_claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return taken.rowcount == 1


def release_claim(order_id: int) -> None:
    db.session.execute(
        sa.update(Order)
        .where(Order.id == order_id)
        .values(reconcile_claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def reconcile_stale_orders(older_than: timedelta) -> list[Reconciled]:
    """Reconcile every order still waiting for Points (pending or authorized) older than that,
    each claimed first (another run reconciling it now is left to it)."""
    cutoff = utcnow() - older_than
    stale = db.session.execute(
        sa.select(Order.id, Order.order_number)
        .where(Order.status.in_(orders.AWAITING_POINTS), Order.created_at < cutoff)
        .order_by(Order.id)
    ).all()
    return [reconcile_claimed(order_id, order_number) for order_id, order_number in stale]


def reconcile_claimed(order_id: int, order_number: str) -> Reconciled:
    """One order as a run reconciles it: claimed first (another run reconciling it now, or an
    order already settled, is left alone), Points asked, the answer applied, the claim released."""
    if not claim_for_reconciliation(order_id):
        return Reconciled(order_number, _("%(order)s: another run is reconciling it, or just did.", order=order_number))
    try:
        order = db.session.get(Order, order_id)
        return Reconciled(order_number, reconcile_order(order))
    except PointsError as error:
        db.session.rollback()
        return Reconciled(order_number, f"{order_number}: Points call failed ({error}); try again later.", failed=True)
    finally:
        release_claim(order_id)
