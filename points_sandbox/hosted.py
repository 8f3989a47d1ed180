"""The hosted checkout pages at /checkout/<session_id>.

One GET shows whatever step the shopper is on; each form POSTs one action and redirects
back (303), so reloading never repeats an action. The steps live in checkout.py.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from . import checkout, orders
from .checkout import CheckoutError
from .extensions import db
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from .models import utcnow
from .orders import IllegalMove

bp = Blueprint("hosted", __name__, url_prefix="/checkout")

RESEND_SECONDS = checkout.RESEND_SECONDS


@bp.before_app_request
def pick_language():
    """The browser's language (`Accept-Language`: ar or en, Arabic when neither) until the
    switch is used: `?lang=en` on any sandbox page wins and is remembered in the sandbox's own
    session cookie, for the hosted pages and the control page alike. (How the real Points
    pages choose is undocumented.)"""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
    g.lang = session.get("lang") or request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


@bp.after_app_request
def vary_by_language(response):
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")  # the page's language may follow it
    return response


@bp.app_context_processor
def helpers():
    lang = getattr(g, "lang", DEFAULT_LANGUAGE)
    return {
        "lang": lang,
        "t": lambda key, **params: translate(lang, key, **params),
        "fmt_points": lambda n: f"{int(n):,}",
        "fmt_sar": format_sar,
        "other_lang": "en" if lang == "ar" else "ar",
    }


def format_sar(amount) -> str:
    amount = Decimal(amount)
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def mask_phone(phone: str | None) -> str:
    """`+96655****274`, as the real verify page shows it."""
    return f"+966{phone[:2]}****{phone[-3:]}" if phone else ""


def _session_or_404(session_id: str):
    found = checkout.find(session_id)
    if found is None:
        abort(404)
    return found


def _back_to_page(session_id: str):
    return redirect(url_for("hosted.page", session_id=session_id), code=303)


@bp.get("/<session_id>")
def page(session_id: str):
    cs = _session_or_404(session_id)
    checkout.expire_if_stale(cs)
    current = checkout.step(cs)
    order = cs.order
    if current == "verify" and not cs.otp_code:
        checkout.send_code(cs)
    context = {"cs": cs, "order": order, "step": current, "return_url": checkout.return_url(order)}
    if current in ("redeem", "confirm"):
        context.update(_redeem_context(cs))
    if current == "verify":
        waited = (utcnow() - cs.otp_sent_at).total_seconds()
        context.update(masked_phone=mask_phone(cs.phone), resend_in=max(0, RESEND_SECONDS - int(waited)))
    if current == "pay":
        context.update(amount_due=checkout.remainder(order))
    if current == "done":
        context.update(redirect_seconds=current_app.config["SANDBOX_REDIRECT_SECONDS"])
    template = {
        "phone": "phone.html",
        "onboarding": "onboarding.html",
        "verify": "verify.html",
        "redeem": "redeem.html",
        "confirm": "confirm.html",
        "pay": "pay.html",
        "done": "done.html",
        "expired": "expired.html",
        "ended": "ended.html",
    }[current]
    return render_template(f"sandbox/{template}", **context)


def _redeem_context(cs) -> dict:
    order, shopper = cs.order, cs.order.shopper
    total = Decimal(order.total_price)
    full_points = orders.points_for(total)
    return {
        "balance": shopper.balance,
        "balance_sar": int(shopper.balance * orders.point_value()),
        "full_points": full_points,
        "full_allowed": full_points <= shopper.balance,
        "partial_cap": min(orders.sar_for(shopper.balance), total),
        "point_value": orders.point_value(),
    }


@bp.get("/<session_id>/phone")
def phone_form(session_id: str):
    """ "Change number?" lands here from the verify and onboarding steps."""
    cs = _session_or_404(session_id)
    if checkout.expire_if_stale(cs) or checkout.step(cs) not in ("phone", "onboarding", "verify"):
        return _back_to_page(session_id)
    return render_template("sandbox/phone.html", cs=cs, order=cs.order, step="phone")


def _action(session_id: str, do):
    """Run one step; a shopper mistake comes back as a message on the same page."""
    cs = _session_or_404(session_id)
    try:
        do(cs)
    except CheckoutError as error:
        flash(translate(g.lang, error.key, **error.params), "error")
        if error.key == "invalid_phone":
            return redirect(url_for("hosted.phone_form", session_id=session_id), code=303)
    except IllegalMove:
        # The order moved under the shopper (the expiry sweep, or the merchant's API call):
        # back to the page, which shows the state it is in now.
        db.session.rollback()
        flash(translate(g.lang, "wrong_step"), "error")
    return _back_to_page(session_id)


@bp.post("/<session_id>/phone")
def use_phone(session_id: str):
    return _action(session_id, lambda cs: checkout.use_phone(cs, request.form.get("phone", "")))


@bp.post("/<session_id>/register")
def register(session_id: str):
    return _action(session_id, checkout.register)


@bp.post("/<session_id>/resend")
def resend(session_id: str):
    return _action(session_id, checkout.resend_code)


@bp.post("/<session_id>/verify")
def verify(session_id: str):
    return _action(session_id, lambda cs: checkout.verify(cs, request.form.get("code", "")))


@bp.post("/<session_id>/redeem")
def redeem(session_id: str):
    def choose(cs):
        mode = request.form.get("mode")
        if mode == "full":
            amount = Decimal(cs.order.total_price)
        elif mode == "none":
            amount = Decimal("0")
        else:
            out_of_range = CheckoutError("amount_out_of_range", total=format_sar(cs.order.total_price))
            try:
                amount = Decimal(request.form.get("amount", "").strip().replace(",", ""))
                # Checked against the order before quantize, which fails on huge numbers.
                if not amount.is_finite() or amount > Decimal(cs.order.total_price):
                    raise out_of_range
                amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            except InvalidOperation:
                raise out_of_range from None
            if amount <= 0:
                raise out_of_range
        checkout.choose(cs, amount)

    return _action(session_id, choose)


@bp.post("/<session_id>/back")
def back(session_id: str):
    return _action(session_id, checkout.back)


@bp.post("/<session_id>/confirm")
def confirm(session_id: str):
    return _action(session_id, checkout.confirm)


@bp.post("/<session_id>/pay")
def pay(session_id: str):
    return _action(session_id, lambda cs: checkout.pay(cs, request.form.get("card_number", "")))


@bp.post("/<session_id>/close")
def close(session_id: str):
    """The ✕: abandon (order cancelled, webhook) and go back to the store."""
    cs = _session_or_404(session_id)
    checkout.abandon(cs)
    target = checkout.return_url(cs.order)
    if target:
        return redirect(target, code=303)
    return _back_to_page(session_id)
