"""Staff login: one check before every /admin request, sessions that end, a slow-down on failures.

The shopper's session holds only ``cart_token``; only a successful login here adds the staff
keys, so a shopper never reaches a back-office page. A staff session ends when its account's
``session_token`` changes (logout, a new password: every session of that account ends at once),
after ``ADMIN_IDLE_MINUTES`` without a request, and ``ADMIN_SESSION_HOURS`` after login.
"""

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Optional

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from .. import rate_limits
from ..addresses import safe_next
from ..config import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
from ..extensions import db
from ..models import AdminUser, LoginAttempt, new_token, utcnow
from . import bp
from .forms import LoginForm, LogoutForm

SESSION_KEY = "admin_user_id"
TOKEN_KEY = "admin_session_token"
STARTED_KEY = "admin_logged_in_at"
SEEN_KEY = "admin_seen_at"
STAFF_KEYS = (SESSION_KEY, TOKEN_KEY, STARTED_KEY, SEEN_KEY)
PUBLIC_ENDPOINTS = {"admin.login"}

# Attempts are counted per email at an address and per address, never per email alone: a
# stranger typing a staff member's email must not lock them out from their own desk.
MAX_FAILURES = 5  # per email at one address, within WINDOW ...
ADDRESS_FAILURES = 20  # ... or per address, whatever the emails ...
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=1)  # ... then one attempt a minute
BAD_LOGIN = _l("Email or password is incorrect.")
TOO_MANY = _l("Too many attempts, wait a minute before trying again.")
SESSION_ENDED = _l("Your session ended; log in again.")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the email is unknown, so both answers take the same time."""
    return generate_password_hash("not-a-real-password")


@bp.before_request
def require_staff():
    g.admin_user = current_staff()
    if g.admin_user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        # Back to the page asked for after logging in; a form post cannot be replayed, so not that.
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("admin.login", next=target))
    return None


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _seconds(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


def start_staff_session(cookie, user: AdminUser) -> None:
    """Write a staff login into the (signed) session cookie."""
    now = _seconds(utcnow())
    cookie.update({SESSION_KEY: user.id, TOKEN_KEY: user.session_token, STARTED_KEY: now, SEEN_KEY: now})


def end_staff_session(cookie) -> None:
    for key in STAFF_KEYS:
        cookie.pop(key, None)


def current_staff() -> Optional[AdminUser]:
    """The staff member of this request's session, if it is still open; it ends here otherwise."""
    user_id = session.get(SESSION_KEY)
    if user_id is None:
        return None
    user = db.session.get(AdminUser, user_id)
    now, config = _seconds(utcnow()), current_app.config
    still_open = (
        user is not None  # the account was not deleted
        and session.get(TOKEN_KEY) == user.session_token
        and now - session.get(SEEN_KEY, 0) <= config["ADMIN_IDLE_MINUTES"] * 60
        and now - session.get(STARTED_KEY, 0) <= config["ADMIN_SESSION_HOURS"] * 3600
    )
    if not still_open:
        end_staff_session(session)
        flash(SESSION_ENDED, "info")
        return None
    session[SEEN_KEY] = now
    return user


def authenticate(email: str, password: str, remote_addr: Optional[str]) -> tuple[Optional[AdminUser], Optional[str]]:
    """Check a login and record the attempt. Returns the user, or None and ``"bad"`` / ``"throttled"``."""
    email = (email or "").strip().lower()
    limits = _login_limits(email, remote_addr)
    if not rate_limits.take(*limits):
        return None, "throttled"  # not evaluated, not recorded: waiting works
    user = db.session.scalar(sa.select(AdminUser).where(AdminUser.email == email))
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "") and user is not None
    db.session.add(LoginAttempt(email=email[:255], remote_addr=remote_addr and remote_addr[:64], succeeded=ok))
    if ok:
        user.last_login_at = utcnow()
    db.session.commit()
    if ok:
        rate_limits.clear(*(limit.key for limit in limits))
    return (user, None) if ok else (None, "bad")


def _login_limits(email: str, remote_addr: Optional[str]) -> tuple[rate_limits.Limit, ...]:
    """Every attempt takes a slot before its password is checked, so of 40 concurrent attempts
    only as many are evaluated as there are slots; a success gives them back."""
    address = rate_limits.client_address(remote_addr)
    return (
        rate_limits.Limit(f"login-address:{address}", ADDRESS_FAILURES, WINDOW, then_every=LOCKOUT),
        rate_limits.Limit(f"login:{address}:{email}", MAX_FAILURES, WINDOW, then_every=LOCKOUT),
    )


def _safe_next(target: Optional[str]) -> str:
    # Only back to a page of the back office on this site: never an open redirect.
    return safe_next(target, url_for("admin.orders"), under="/admin")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.admin_user is not None:
        return redirect(_safe_next(request.args.get("next")))
    form, error, status = LoginForm(), None, 200
    if form.validate_on_submit():
        user, problem = authenticate(form.email.data, form.password.data, request.remote_addr)
        if user is not None:
            start_staff_session(session, user)
            return redirect(_safe_next(request.args.get("next")))
        # The same answer for an unknown email and a wrong password.
        error, status = (f"{BAD_LOGIN} {TOO_MANY}", 429) if problem == "throttled" else (str(BAD_LOGIN), 200)
    return render_template("admin/login.html", form=form, error=error, demo_login=_demo_login()), status


def _demo_login() -> Optional[dict]:
    """The demo's staff login, shown on the page in demo mode only."""
    if not current_app.config["POINTS_DEMO_MODE"]:
        return None
    return {"email": DEMO_ADMIN_EMAIL, "password": DEMO_ADMIN_PASSWORD}


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():
        # A new token ends this session and every other one of the account (a stolen cookie too).
        db.session.execute(
            sa.update(AdminUser).where(AdminUser.id == g.admin_user.id).values(session_token=new_token())
        )
        db.session.commit()
        end_staff_session(session)
        flash(_("You are logged out."), "info")
        return redirect(url_for("admin.login"))
    return redirect(url_for("admin.orders"))
