"""Reconciliation: ask Points about orders whose webhook never came, and apply the answer.

An operator command (``flask --app wsgi reconcile``) and an admin button both end here. The answer
of ``GET /v1/orders/{uuid}`` goes through the same state machine as a webhook (``orders.py``), and
the timeline records that reconciliation, not a webhook, moved the order.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from . import orders
from .extensions import db
from .models import Order, utcnow
from .points import PointsError, points_client
from .transactions import lock_order


def reconcile_order(order: Order) -> str:
    """Ask Points about one order whose webhook never came, and apply the answer.

    Uses the ``uuid`` from a webhook, else the callback's unverified hint, whose ``order_number``
    is checked before anything is applied. With no uuid past the session life, the order is
    given up as expired. Returns a sentence for staff; raises PointsError on a failed call.
    """
    uuid = order.points_uuid or order.points_uuid_hint
    if not uuid:
        expired_before = utcnow() - timedelta(minutes=current_app.config["CHECKOUT_SESSION_MINUTES"])
        order = lock_order(Order.id == order.id)
        if order.status == orders.PENDING_PAYMENT and (order.checkout_started_at or order.created_at) < expired_before:
            orders.cancel_locally(order, "checkout expired", source="reconciliation")
            db.session.commit()
            return f"{order.order_number}: no Points order known and the session has expired; cancelled."
        db.session.commit()
        return f"{order.order_number}: no Points order known yet; nothing to ask."

    try:
        remote = points_client(order).get_order(uuid)
    except PointsError:
        db.session.commit()  # keep the recorded call on the timeline
        raise
    order = lock_order(Order.id == order.id)  # locked only now, not during the HTTP call
    if remote.order_number.lstrip("#") != order.order_number:
        order.points_uuid_hint = None
        db.session.commit()
        return (f"{order.order_number}: Points order {uuid} belongs to {remote.order_number!r}, "
                "not to this order; the hint was dropped.")
    order.points_uuid = remote.uuid
    order.points_reference_number = remote.reference_number or order.points_reference_number
    outcome = orders.apply_points_status(order, remote.order_status, source="reconciliation",
                                         total_price=remote.total_price)
    db.session.commit()
    return f"{order.order_number}: Points says {remote.order_status}; {outcome.outcome} ({outcome.detail})."


def reconcile_stale_orders(older_than: timedelta) -> list[str]:
    """Reconcile every order still waiting for Points (pending or authorized) older than that."""
    cutoff = utcnow() - older_than
    stale = db.session.scalars(
        sa.select(Order).where(Order.status.in_(orders.AWAITING_POINTS), Order.created_at < cutoff)
        .order_by(Order.id)
    ).all()
    results = []
    for order in stale:
        try:
            results.append(reconcile_order(order))
        except PointsError as error:
            results.append(f"{order.order_number}: Points call failed ({error}); try again later.")
    return results or ["No pending orders older than that."]
