"""Earning points on cash-on-delivery orders: the outbox and its sender (decisions: "Earning points
on purchases paid outside Points").

1. Staff mark a COD order collected (``staff.mark_collected``): the :class:`PointsEarning` row is
   written in that same transaction, so a crash between the two loses nothing.
2. The sender (:func:`send_due`; a thread in demo mode, ``flask --app wsgi points send-earnings``
   in production) claims one due earning with an atomic UPDATE and sends
   ``POST /v1/orders/earning``. Points serialises earning calls per merchant and answers 429 to a
   second, so only one is ever in flight: the partial unique index ``one_earning_in_flight``
   admits one ``sending`` row, across threads, processes and machines.
3. Its answer: approved (uuid, reference, points) or pending the shopper's activation; 429 backs
   off (``Retry-After`` honoured); 403/422/400 stop and keep Points' message for staff; a timeout,
   a 5xx or a dropped connection may have created the earning order, so the earning waits for its
   webhook (``EARN_RETRY_AFTER_SECONDS``) before it is sent again.
4. The earning order's webhook (:func:`apply_webhook`) updates the earning, never the order's
   payment state. Every call is on the order's timeline (``points_client(order)``).
"""

import logging
import secrets
import threading
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Order, PointsEarning, utcnow
from ..privacy import mask_phones_in_text
from .client import EarningAnswer, PointsError, PointsOrder, points_client, to_wire_amount
from .orders import Effect, Outcome

log = logging.getLogger(__name__)

PENDING = "pending"  # due to be sent at next_attempt_at
SENDING = "sending"  # a sender holds it and is calling Points
AWAITING_WEBHOOK = "awaiting_webhook"  # an ambiguous answer: Points may have it; sent again later
APPROVED = "approved"
PENDING_ACTIVATION = "pending_activation"  # the shopper has no active Points account yet
REFUSED = "refused"  # 403, 422 or another clear refusal: staff read Points' message
CANCELLED = "cancelled"  # never sent: the order was refunded in full first
REVERSED = "reversed"  # the earning order was refunded in full at Points

STATES = (PENDING, SENDING, AWAITING_WEBHOOK, APPROVED, PENDING_ACTIVATION, REFUSED, CANCELLED, REVERSED)
DUE = (PENDING, AWAITING_WEBHOOK)
SENT = (SENDING, AWAITING_WEBHOOK, APPROVED, PENDING_ACTIVATION, REVERSED)  # Points may have it
BACKOFF_MAX_SECONDS = 300
STALE_MARGIN_SECONDS = 5  # past the call's timeout: a `sending` row older than both is a dead sender's


def queue(order: Order) -> PointsEarning:
    """The earning for a collected COD order, due now; the caller commits it with "collected"."""
    earning = PointsEarning(order=order, state=PENDING, next_attempt_at=utcnow())
    db.session.add(earning)
    return earning


def earning_body(order: Order) -> dict:
    """The ``EarningOrderRequest``: the order's own number, products, total and shipping."""
    body = {
        "phone_number": order.phone,
        "total_price": to_wire_amount(order.total),
        "order_number": order.order_number,
        "name": order.customer_name,
        "products": [
            {
                "product_name": line.product_name,
                "product_price": to_wire_amount(line.unit_price),
                "quantity": line.quantity,
            }
            for line in order.lines
        ],
        "shipping_address": {"city": order.city, "line1": order.address_line},
        "metadata": {
            "channel": "web",
            "payment": "cash_on_delivery",
            "shop_order_id": order.id,
            "locale": order.locale,
        },
    }
    if order.shipping_amount:
        body["shipping_amount"] = to_wire_amount(order.shipping_amount)
    return body


# --- The sender ---------------------------------------------------------------------------------


def send_due(limit: Optional[int] = None) -> list[str]:
    """Send every due earning, one after the other; a line per attempt, for the operator."""
    lines = []
    while limit is None or len(lines) < limit:
        line = send_next()
        if line is None:
            break
        lines.append(line)
    return lines


def send_next() -> Optional[str]:
    """Claim one due earning and send it; None when none is due (or another sender has one)."""
    _release_dead_claims()
    claimed = _claim()
    if claimed is None:
        return None
    earning_id, token = claimed
    earning = db.session.get(PointsEarning, earning_id)
    order = earning.order
    body = earning_body(order)
    db.session.commit()  # no transaction stays open during the call
    try:
        answer = points_client(order).create_earning(body)
    except PointsError as error:
        values, line = _after_error(earning.attempts, error)
    else:
        values, line = _after_answer(answer)
    done = _settle(earning_id, token, values)
    db.session.commit()  # with the call's record (the order's timeline)
    if not done:
        line += " (its webhook had already said more; kept that)"
    line = f"{order.order_number}: {line}"
    log.info("Earning %s", mask_phones_in_text(line))  # Points' message may quote the phone
    return line


def _settle(earning_id: int, token: str, values: dict) -> bool:
    """Compare and set the call's outcome, only while this sender's claim stands: a webhook that
    already said more cleared it; a claim released as dead keeps its token, so a slow answer still
    lands. False when the row had moved on (the caller keeps what is there)."""
    return bool(
        db.session.execute(
            sa.update(PointsEarning)
            .where(
                PointsEarning.id == earning_id,
                PointsEarning.claim == token,
                PointsEarning.state.in_((SENDING, AWAITING_WEBHOOK)),
            )
            .values(claim=None, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _claim() -> Optional[tuple[int, str]]:
    token, now = secrets.token_hex(8), utcnow()
    due = (
        sa.select(PointsEarning.id)
        .where(PointsEarning.state.in_(DUE), PointsEarning.next_attempt_at <= now)
        .order_by(PointsEarning.next_attempt_at, PointsEarning.id)
        .limit(1)
        .scalar_subquery()
    )
    try:
        claimed = db.session.execute(
            sa.update(PointsEarning)
            .where(PointsEarning.id == due, PointsEarning.state.in_(DUE))
            .values(state=SENDING, claim=token, claimed_at=now, attempts=PointsEarning.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    except IntegrityError:  # one_earning_in_flight: another sender is calling Points right now
        db.session.rollback()
        return None
    if claimed != 1:
        return None
    return db.session.scalar(sa.select(PointsEarning.id).where(PointsEarning.claim == token)), token


def _release_dead_claims() -> None:
    """A sender killed during its call left its row ``sending``: Points may have the earning, so it
    waits for the webhook like any ambiguous answer (counted from when the call began)."""
    cfg = current_app.config
    stale_before = utcnow() - timedelta(seconds=cfg["POINTS_TIMEOUT_SECONDS"] + STALE_MARGIN_SECONDS)
    dead = db.session.scalars(
        sa.select(PointsEarning).where(PointsEarning.state == SENDING, PointsEarning.claimed_at < stale_before)
    ).all()
    for earning in dead:
        # The claim is kept: should that sender still be alive (a slow answer), its answer lands.
        earning.state = AWAITING_WEBHOOK
        earning.next_attempt_at = earning.claimed_at + timedelta(seconds=cfg["EARN_RETRY_AFTER_SECONDS"])
        earning.message = "The sender stopped during its call: waiting for Points' webhook before sending again."
    db.session.commit()


def _after_answer(answer: EarningAnswer) -> tuple[dict, str]:
    if answer.pending_activation:
        values = dict(state=PENDING_ACTIVATION, total_points=answer.total_points, message=None)
        return values, f"pending the shopper's activation ({answer.total_points} points)"
    values = dict(
        state=APPROVED,
        uuid=answer.uuid,
        reference_number=answer.reference_number,
        total_points=answer.total_points,
        message=None,
    )
    return values, f"approved, {answer.total_points} points (Points order {answer.uuid})"


def _after_error(attempts: int, error: PointsError) -> tuple[dict, str]:
    now, cfg = utcnow(), current_app.config
    backoff = min(2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    said = error.message
    if error.kind == "rate_limited":
        wait = max(error.retry_after or 0, backoff)
        return dict(state=PENDING, next_attempt_at=_later(now, wait), message=said), f"429, again in {wait:g} s"
    if error.kind in ("timeout", "server", "connection", "bad_response"):
        # Points may have made the earning order: its webhook would say so before we send again.
        wait = max(cfg["EARN_RETRY_AFTER_SECONDS"], error.retry_after or 0, backoff)
        return (
            dict(state=AWAITING_WEBHOOK, next_attempt_at=_later(now, wait), message=said),
            f"{error.kind}, waiting {wait:g} s for the webhook before sending again",
        )
    # 400, 403, 422: a clear refusal made nothing; sending it again would be refused again.
    return dict(state=REFUSED, message=said), f"refused ({error.status_code}): {said}"


def _later(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def send_again(earning: PointsEarning) -> None:
    """Staff fixed what Points refused (a key, the merchant's earning switch): due now."""
    earning.state, earning.next_attempt_at, earning.message = PENDING, utcnow(), None


# --- The earning order's webhook ----------------------------------------------------------------


def sent_for_earning(order_number: str) -> bool:
    """Did this shop send ``order_number`` to ``POST /v1/orders/earning``?"""
    return (
        db.session.scalar(
            sa.select(PointsEarning.id)
            .join(Order, PointsEarning.order_id == Order.id)
            .where(Order.order_number == order_number, PointsEarning.attempts > 0)
        )
        is not None
    )


def apply_webhook(earning: PointsEarning, event: str, points_order: PointsOrder) -> Effect:
    """An ``earning`` order event for one of ours: the earning moves; the order's payment never."""
    if earning.uuid and points_order.uuid != earning.uuid and event in ("approved", "captured"):
        earning.extra_uuid = points_order.uuid
        return Effect(
            Outcome.EARNED_TWICE,
            f"a second Points earning order ({points_order.uuid}) for {points_order.order_number}: refund it",
        )
    if earning.uuid and points_order.uuid != earning.uuid:
        return Effect(Outcome.OTHER_POINTS_ORDER, f"about earning order {points_order.uuid}; nothing changed")
    if event in ("approved", "captured"):
        if earning.state == APPROVED:  # usually Points' own answer to the call, confirmed
            return Effect(Outcome.EARNING_KNOWN, "the earning is already approved; nothing changed")
        if earning.state == REVERSED:
            return Effect(Outcome.LATE, "the earning is already reversed; nothing changed")
        earning.state, earning.claim, earning.message = APPROVED, None, None
        earning.uuid = points_order.uuid
        earning.reference_number = points_order.reference_number or earning.reference_number
        if points_order.total_points is not None:
            earning.total_points = points_order.total_points
        return Effect(Outcome.EARNING_APPLIED, f"earning approved: {earning.total_points} points")
    if event in ("refunded", "auto_refunded"):
        earning.uuid = earning.uuid or points_order.uuid
        if points_order.left_points is not None:
            earning.left_points = points_order.left_points
        if points_order.order_status == "fully_refunded" or points_order.left_points == 0:
            earning.state, earning.left_points = REVERSED, 0
        return Effect(Outcome.EARNING_APPLIED, f"earning refunded; {earning.left_points} points left")
    return Effect(Outcome.IGNORED, f"{event} on the earning order changes nothing here")


# --- Demo mode: the sender as a thread ------------------------------------------------------------

_thread_lock = threading.Lock()
POLL_SECONDS = 1.0


def start_sender_thread(app) -> bool:
    """One sender thread per process (several gunicorn workers each run one: the claim keeps them
    to one call at a time). Returns False when this process already runs it."""
    with _thread_lock:
        if app.extensions.get("points_earn_sender") is not None:
            return False
        stop = threading.Event()

        def run():
            while not stop.wait(POLL_SECONDS):
                try:
                    with app.app_context():
                        send_due()
                except Exception:  # the thread must outlive a bad moment (a locked database)
                    log.exception("Earning sender pass failed; trying again shortly")

        thread = threading.Thread(target=run, name="points-earn-sender", daemon=True)
        app.extensions["points_earn_sender"] = stop
        thread.start()
        return True
