"""Staff login: one session key, one check before every /admin request, slow-down on failures.

The shopper's session holds only ``cart_token``; only a successful login here adds
``admin_user_id``, so a shopper never reaches a back-office page.
"""
from datetime import timedelta
from functools import lru_cache
from typing import Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import AdminUser, LoginAttempt, utcnow
from . import bp
from .forms import LoginForm, LogoutForm

SESSION_KEY = "admin_user_id"
PUBLIC_ENDPOINTS = {"admin.login"}

MAX_FAILURES = 5                      # per email, or per address, within WINDOW ...
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=1)        # ... then one attempt a minute
BAD_LOGIN = _l("Email or password is incorrect.")
TOO_MANY = _l("Too many attempts, wait a minute before trying again.")

@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the email is unknown, so both answers take the same time."""
    return generate_password_hash("not-a-real-password")


@bp.before_request
def require_staff():
    g.admin_user = None
    user_id = session.get(SESSION_KEY)
    if user_id is not None:
        g.admin_user = db.session.get(AdminUser, user_id)
        if g.admin_user is None:
            session.pop(SESSION_KEY, None)  # the account was deleted
    if g.admin_user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        # Back to the page asked for after logging in; a form post cannot be replayed, so not that.
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("admin.login", next=target))
    return None


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def authenticate(email: str, password: str, remote_addr: Optional[str]) -> tuple[Optional[AdminUser], Optional[str]]:
    """Check a login and record the attempt. Returns the user, or None and ``"bad"`` / ``"throttled"``."""
    email = (email or "").strip().lower()
    if _throttled(email, remote_addr):
        return None, "throttled"
    user = db.session.scalar(sa.select(AdminUser).where(AdminUser.email == email))
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "") and user is not None
    db.session.add(LoginAttempt(email=email[:255], remote_addr=remote_addr, succeeded=ok))
    if ok:
        user.last_login_at = utcnow()
    db.session.commit()
    return (user, None) if ok else (None, "bad")


def _throttled(email: str, remote_addr: Optional[str]) -> bool:
    """Five failures for this email or this address since the last success (within 15 minutes),
    the latest less than a minute ago. Refused attempts are not recorded, so waiting works."""
    now = utcnow()
    for column, value in ((LoginAttempt.email, email), (LoginAttempt.remote_addr, remote_addr)):
        if value is None:
            continue
        last_success = db.session.scalar(
            sa.select(sa.func.max(LoginAttempt.created_at)).where(column == value, LoginAttempt.succeeded.is_(True))
        )
        since = max(now - WINDOW, last_success) if last_success else now - WINDOW
        count, latest = db.session.execute(
            sa.select(sa.func.count(LoginAttempt.id), sa.func.max(LoginAttempt.created_at))
            .where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since)
        ).one()
        if count >= MAX_FAILURES and latest > now - LOCKOUT:
            return True
    return False


def _safe_next(target: Optional[str]) -> str:
    # Only back to a page of the back office on this site: never an open redirect.
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/admin"):
            return target
    return url_for("admin.orders")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.admin_user is not None:
        return redirect(_safe_next(request.args.get("next")))
    form, error, status = LoginForm(), None, 200
    if form.validate_on_submit():
        user, problem = authenticate(form.email.data, form.password.data, request.remote_addr)
        if user is not None:
            session[SESSION_KEY] = user.id
            return redirect(_safe_next(request.args.get("next")))
        # The same answer for an unknown email and a wrong password.
        error, status = (f"{BAD_LOGIN} {TOO_MANY}", 429) if problem == "throttled" else (str(BAD_LOGIN), 200)
    return render_template("admin/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():
        session.pop(SESSION_KEY, None)
        flash(_("You are logged out."), "info")
        return redirect(url_for("admin.login"))
    return redirect(url_for("admin.orders"))
