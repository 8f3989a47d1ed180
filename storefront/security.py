"""What a merchant's security review asks of every request and response of the shop.

- Headers: a Content-Security-Policy with no inline script or style, no framing, ``nosniff``,
  a Referrer-Policy that keeps paths (and the order token in ``callback_url``) on this site, and
  HSTS in production. They are added by the shop's ``after_request``, so the embedded sandbox
  (another WSGI app, mounted beside the shop in demo mode) keeps its own pages' rules.
- The shop's own address: Flask's ``TRUSTED_HOSTS`` answers 400 to any other Host header
  (config.py), and ``callback_url`` is built from ``SHOP_BASE_URL`` (addresses.py).
- Odd input: a NUL byte anywhere in the path, query string or form is a 400 before a view runs
  (PostgreSQL refuses NUL in text, which would be a 500 deep inside a query).
- Rate limits are rate_limits.py's.
"""

from flask import Flask, current_app, request
from flask_babel import gettext
from werkzeug.exceptions import BadRequest, SecurityError

from .addresses import points_checkout_origins
from .points.widgets import widget_origin

# The pages that carry a Points widget (product: points-card; checkout: installments).
WIDGET_ENDPOINTS = frozenset({"shop.product", "shop.add_to_cart", "checkout.show", "checkout.pay"})

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
HSTS = "max-age=31536000"


def install(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)
    # A Host that TRUSTED_HOSTS refuses leaves no URL adapter, so the usual error page (which
    # builds URLs) cannot render: answer in plain text.
    app.register_error_handler(
        SecurityError,
        lambda e: (
            "Bad request: this shop does not answer to that host name.",
            400,
            {"Content-Type": "text/plain; charset=utf-8"},
        ),
    )


# --- Headers ------------------------------------------------------------------------------------


def add_security_headers(response):
    headers = response.headers
    framed = presenter_may_frame()
    headers["Content-Security-Policy"] = content_security_policy(framed)
    headers["X-Frame-Options"] = "SAMEORIGIN" if framed else "DENY"  # frame-ancestors' twin, for old browsers
    headers["X-Content-Type-Options"] = "nosniff"
    # Same-site requests keep the full Referer (Flask-WTF's HTTPS CSRF check reads it); other
    # sites get only the origin, never a path with an order token in it.
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if current_app.config["PRODUCTION"]:
        headers["Strict-Transport-Security"] = HSTS
    return response


def presenter_may_frame() -> bool:
    """The demo's presenter view shows the shop in a frame of its own page (same origin): in demo
    mode only, and never the back office."""
    return bool(current_app.config["POINTS_DEMO_MODE"]) and request.blueprint != "admin"


def content_security_policy(framed: bool = False) -> str:
    """Only this site's own files run, style or load (on a page with a Points widget, also what
    the widget needs from its origin); nothing frames the shop (in demo mode, only the presenter
    view, on this site); forms post here, and the 303 after Pay may go on to Points' hosted
    checkout (Chromium checks form-action on the redirects that follow a form submission)."""
    form_action = " ".join(["'self'", *points_checkout_origins()])
    if request.endpoint in WIDGET_ENDPOINTS:
        loads = widget_directives()
    else:
        loads = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'"]
    return "; ".join(
        [
            *loads,
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'" if framed else "frame-ancestors 'none'",
            f"form-action {form_action}",
        ]
    )


def widget_directives() -> list[str]:
    """What Points' implementation guidelines open to the widget origin, and nothing more: its
    script, frames, connections, fonts and styles (with the 'unsafe-inline' styles they ask for),
    images from data: and https:. Never an inline script. In demo mode the origin is this site's."""
    origin = widget_origin()
    widget = f"'self' {origin}" if origin else "'self'"
    return [
        "default-src 'self'",
        f"script-src {widget}",
        f"frame-src {widget}",
        f"connect-src {widget}",
        f"font-src {widget}",
        f"style-src {widget} 'unsafe-inline'",
        "img-src 'self' data: https:",
    ]


# --- Odd input ----------------------------------------------------------------------------------


def refuse_nul_bytes():
    """No field, path or parameter of this shop takes a NUL byte; PostgreSQL cannot store one."""
    suspects = [request.path]
    if request.query_string:
        suspects += _words(request.args)
    if request.method not in ("GET", "HEAD") and request.mimetype in FORM_TYPES:
        suspects += _words(request.form)
    if any("\x00" in text for text in suspects):
        raise BadRequest(gettext("The request contains a NUL character, which nothing in this shop accepts."))


def _words(multidict) -> list[str]:
    return [text for key, value in multidict.items(multi=True) for text in (key, value)]
