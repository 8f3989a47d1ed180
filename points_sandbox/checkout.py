"""The hosted checkout as a sequence of steps, shared by the pages (hosted.py) and by
`POST /_control/sessions/<id>/complete` (control.py), so both take the same code path.

verify phone (or onboard) -> choose redemption -> confirm (points leave the balance)
-> pay the rest by test card -> settled by the sandbox -> back to `callback_url`.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app

from . import chaos, orders
from .extensions import db
from .models import CheckoutSession, Merchant, Order, Shopper, utcnow
from .validation import normalize_phone

PAYING_CARD = "4111111111111111"
DECLINED_CARD = "4000000000000002"


class CheckoutError(Exception):
    """A shopper mistake on a step. `key` names the message in i18n.py."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


class CardDeclined(CheckoutError):
    def __init__(self):
        super().__init__("card_declined")


# --- Creating and finding sessions ------------------------------------------------------------


def create(merchant: Merchant, clean: dict, origin: str) -> CheckoutSession:
    """A `new` replacing order and its session, from a validated CheckoutRequest."""
    order = orders.new_order(merchant, clean, origin, callback_url=clean["callback_url"])
    session = CheckoutSession(
        id=secrets.token_urlsafe(18),
        order=order,
        phone=clean["phone_number"],
        expires_at=utcnow() + timedelta(minutes=current_app.config["SANDBOX_SESSION_MINUTES"]),
    )
    db.session.add(session)
    db.session.commit()
    return session


def find(session_id: str) -> CheckoutSession | None:
    return db.session.get(CheckoutSession, session_id)


def shopper_for(phone: str | None) -> Shopper | None:
    if phone is None:
        return None
    return db.session.scalar(sa.select(Shopper).where(Shopper.phone == phone))


def expire_if_stale(session: CheckoutSession) -> bool:
    """Expire an open session past its time: the order is cancelled (`checkout expired`) in the
    same commit, so no crash in between leaves an expired session with a live order."""
    if session.state != "open" or utcnow() < session.expires_at:
        return session.state == "expired"
    claimed = db.session.execute(
        sa.update(CheckoutSession)
        .where(CheckoutSession.id == session.id, CheckoutSession.state == "open")
        .values(state="expired")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:  # another thread expired (or finished) it first
        db.session.rollback()
        return session.state == "expired"
    session.state = "expired"
    try:
        if session.order.order_status in ("new", "authorized"):
            orders.cancel(session.order, "checkout expired")  # commits the session with it
        else:
            db.session.commit()
    except orders.IllegalMove:  # the order moved meanwhile: both changes were rolled back
        db.session.rollback()
        return session.state == "expired"
    return True


def expire_stale_sessions() -> None:
    stale = db.session.scalars(
        sa.select(CheckoutSession).where(CheckoutSession.state == "open", CheckoutSession.expires_at <= utcnow())
    ).all()
    for session in stale:
        expire_if_stale(session)
    # Expired sessions whose order was left live (a database from before the single commit).
    leftovers = db.session.scalars(
        sa.select(Order)
        .join(CheckoutSession)
        .where(CheckoutSession.state == "expired", Order.order_status.in_(("new", "authorized")))
    ).all()
    for order in leftovers:
        try:
            orders.cancel(order, "checkout expired")
        except orders.IllegalMove:  # somebody else moved the order first
            db.session.rollback()


# --- Where the shopper is ------------------------------------------------------------------


def remainder(order: Order) -> Decimal:
    """What is left to pay by card once the confirmed points are taken off."""
    return Decimal(order.total_price) - Decimal(order.redeemed_amount)


def step(session: CheckoutSession) -> str:
    """The step the shopper is on: phone, onboarding, verify, redeem, confirm, pay, done,
    or ended/expired."""
    if session.state == "completed":
        return "done"
    if session.state == "expired":
        return "expired"
    if session.state != "open" or session.order.order_status not in ("new", "authorized"):
        return "ended"
    if session.phone is None:
        return "phone"
    if shopper_for(session.phone) is None:
        return "onboarding"
    if not session.verified:
        return "verify"
    if not session.redemption_confirmed:
        return "redeem" if session.pending_points is None else "confirm"
    return "pay"


def _require(session: CheckoutSession, *steps: str) -> None:
    expire_if_stale(session)
    if step(session) not in steps:
        raise CheckoutError("wrong_step")


# --- The steps ---------------------------------------------------------------------------


def use_phone(session: CheckoutSession, raw_phone: str) -> Shopper | None:
    """The shopper gives (or changes) the number; a known one gets a code by "SMS"."""
    _require(session, "phone", "onboarding", "verify")
    phone = normalize_phone(raw_phone)
    if phone is None:
        raise CheckoutError("invalid_phone")
    session.phone, session.verified = phone, False
    shopper = shopper_for(phone)
    if shopper is not None:
        send_code(session)
    db.session.commit()
    return shopper


RESEND_SECONDS = 30  # the verify page's "resend in 00:30"


def resend_code(session: CheckoutSession) -> None:
    """ "Resend": only on the verify step, and only once the countdown has run out."""
    _require(session, "verify")
    if session.otp_sent_at is not None:
        waited = (utcnow() - session.otp_sent_at).total_seconds()
        if waited < RESEND_SECONDS:
            raise CheckoutError("resend_too_soon", seconds=RESEND_SECONDS - int(waited))
    send_code(session)


def send_code(session: CheckoutSession) -> None:
    session.otp_code = f"{secrets.randbelow(10000):04d}"
    session.otp_sent_at = utcnow()
    db.session.commit()


def register(session: CheckoutSession) -> Shopper:
    """Onboarding: an account with a zero balance, then the usual code."""
    _require(session, "onboarding")
    shopper = Shopper(phone=session.phone, balance=0)
    db.session.add(shopper)
    send_code(session)
    return shopper


def verify(session: CheckoutSession, code: str) -> None:
    _require(session, "verify")
    if not session.otp_code:
        send_code(session)
    if (code or "").strip() != session.otp_code:
        raise CheckoutError("wrong_code")
    session.verified = True
    session.order.shopper = shopper_for(session.phone)
    db.session.commit()


def choose(session: CheckoutSession, amount: Decimal) -> None:
    """Redeem `amount` SAR of the order with points (the confirm dialog comes next).
    Zero skips redemption and goes straight to the card."""
    _require(session, "redeem", "confirm")
    order = session.order
    total = Decimal(order.total_price)
    if amount < 0 or amount > total:
        raise CheckoutError("amount_out_of_range", total=total)
    points = orders.points_for(amount)
    if points > order.shopper.balance:
        raise CheckoutError("not_enough_points", balance=order.shopper.balance)
    if points == 0:
        session.pending_amount, session.pending_points = None, None
        session.redemption_confirmed = True
        db.session.commit()
        _settle_if_covered(session)
        return
    session.pending_amount, session.pending_points = amount, points
    db.session.commit()


def back(session: CheckoutSession) -> None:
    """ "Back" in the confirm dialog: choose again."""
    _require(session, "confirm")
    session.pending_amount, session.pending_points = None, None
    db.session.commit()


def confirm(session: CheckoutSession) -> None:
    """The points leave the shopper's balance now; a cancel later gives them back."""
    _require(session, "confirm")
    order, shopper = session.order, session.order.shopper
    if not orders.spend_points(shopper, session.pending_points):
        raise CheckoutError("not_enough_points", balance=shopper.balance)
    order.redeemed_points = session.pending_points
    order.redeemed_amount = session.pending_amount
    session.redemption_confirmed = True
    db.session.commit()
    _settle_if_covered(session)


def _settle_if_covered(session: CheckoutSession) -> None:
    if remainder(session.order) == 0:
        orders.settle(session.order, Decimal("0"))


def pay(session: CheckoutSession, card_number: str) -> None:
    _require(session, "pay")
    digits = "".join(ch for ch in (card_number or "") if ch.isdigit())
    if digits == DECLINED_CARD:
        session.last_decline = utcnow()
        db.session.commit()
        raise CardDeclined()
    if digits != PAYING_CARD:
        raise CheckoutError("invalid_card")
    orders.settle(session.order, remainder(session.order))


def abandon(session: CheckoutSession, reason: str = "checkout abandoned") -> None:
    """The ✕: a checkout still in progress is cancelled; a finished one is left alone."""
    if expire_if_stale(session):
        return
    if session.state == "open" and session.order.order_status in ("new", "authorized"):
        orders.cancel(session.order, reason)


def return_url(order: Order) -> str | None:
    """`callback_url` with `order_uuid` and `status` appended, its own query kept; with the
    `callback_params` switch off, `callback_url` exactly as given (Points' parameters are
    undocumented, so the shop must work without them)."""
    if not order.callback_url:
        return None
    if not chaos.switches().callback_params:
        return order.callback_url
    parts = urlsplit(order.callback_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [("order_uuid", order.uuid), ("status", order.order_status)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def play(session: CheckoutSession, phone: str, points: int, card_number: str | None) -> None:
    """A whole shopper in one call (control endpoint): the same steps as the pages.
    Unknown phones register; a declined card cancels the checkout (`payment declined`)."""
    if use_phone(session, phone) is None:
        register(session)
    verify(session, session.otp_code)
    order = session.order
    full_points = orders.points_for(order.total_price)
    amount = Decimal(order.total_price) if points >= full_points else orders.sar_for(points)
    choose(session, amount)
    if step(session) == "confirm":
        confirm(session)
    if step(session) == "pay":
        try:
            pay(session, card_number or PAYING_CARD)
        except CardDeclined:
            abandon(session, "payment declined")
