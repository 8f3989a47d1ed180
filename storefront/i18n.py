"""Arabic and English: which language a request is in, the switch between them, and the
locale-aware formatting of money and time that every page (shop and admin) uses.

The words live in ``storefront/translations/ar/LC_MESSAGES/messages.po`` (Flask-Babel, gettext);
see the README for extracting and compiling them. The language is the shopper's choice (the
``lang`` cookie, set by the switch on every page), else the browser's ``Accept-Language``, else
``BABEL_DEFAULT_LOCALE``. Times are stored as naive UTC and shown in ``Asia/Riyadh``.
"""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from babel.dates import format_skeleton, get_datetime_format
from babel.numbers import format_decimal
from flask import Blueprint, current_app, has_request_context, redirect, request, url_for
from flask_babel import Babel, get_locale, get_timezone, gettext
from markupsafe import Markup, escape

from .money import to_cents, vat_share

# Right to left or left to right, by language; the first is the switch's order.
LANGUAGES = {"ar": "rtl", "en": "ltr"}
LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}  # each in its own language, never translated
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
SHOP_TIMEZONE = "Asia/Riyadh"

babel = Babel()
bp = Blueprint("i18n", __name__)


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", SHOP_TIMEZONE)
    babel.init_app(app, locale_selector=select_language)
    app.register_blueprint(bp)
    # labels -> orders -> cart -> its views -> here: imported once all of them are loaded.
    from . import labels

    labels.init_app(app)
    app.add_template_filter(sar)
    app.add_template_filter(sar_text)
    app.add_template_filter(riyadh_time)
    app.add_template_filter(vat_share)
    app.add_template_filter(unbroken_hyphens)
    app.context_processor(_language_context)
    app.after_request(_vary_on_language)


def select_language() -> str:
    """The shopper's choice if they made one, else the best of Accept-Language, else the default."""
    if not has_request_context():  # a CLI command, a domain function called from a test
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def safe_next(target: str | None) -> str:
    """A path on this site to go back to; anything else (another host, a scheme, ``//``) is the shop."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("shop.catalogue")


@bp.get("/language/<code>")
def switch_language(code):
    """The switch on every page: remember the choice, and go back to the same page."""
    response = redirect(safe_next(request.args.get("next")), code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=LANG_COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def _here() -> str:
    """Where the switch comes back to: this page, or (after a form post) the page the form is on."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return request.path


def _language_context() -> dict:
    lang = current_language()
    try:
        here = _here()
    except RuntimeError:
        here = "/"
    other = [code for code in LANGUAGES if code != lang]
    return {
        "lang": lang,
        "text_direction": LANGUAGES[lang],
        "language_switch": [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "dir": LANGUAGES[code],
                "url": url_for("i18n.switch_language", code=code, next=here),
            }
            for code in other
        ],
    }


def _vary_on_language(response):
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def unbroken_hyphens(name: str) -> str:
    """``Al-Qahtani`` with non-breaking hyphens (U+2011): a narrow phone never splits a name there."""
    return (name or "").replace("-", "\u2011")


# --- Money ----------------------------------------------------------------------------------

# The Saudi riyal sign (U+20C1, 2025) is in few fonts yet: drawn here, with the words for screen
# readers. It stands to the left of the number in both directions, as SAMA's guidelines ask.
RIYAL_SIGN = Markup(
    '<svg class="sar-sign" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">'
    '<path fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="miter" '
    'd="M9.5 2v14.2l-1.6 2.3-6.4 1.4M15 3.6v15.3l6.8-1.5M2.2 13.4l19.6-4.2M15 14.3l6.8-1.5M14 22.4l7.8-1.7"/></svg>'
)


def _decimal(amount) -> Decimal | None:
    if amount is None or amount == "":
        return None
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def format_amount(amount) -> str:
    """The number alone, two decimals, grouped as the language groups it: ``1,234.50``."""
    return format_decimal(to_cents(amount), format="#,##0.00", locale=get_locale() or "en")


def sar_text(amount) -> str:
    """Money as plain text (a flash message, an attribute): ``1,234.50 SAR`` / ``1,234.50 ر.س``."""
    value = _decimal(amount)
    if value is None:
        return "" if amount in (None, "") else str(amount)
    return gettext("%(amount)s SAR", amount=format_amount(value))


def sar(amount) -> Markup:
    """``{{ amount|sar }}``: the riyal sign and the amount, for every page of the shop and the admin."""
    value = _decimal(amount)
    if value is None:
        return Markup("") if amount in (None, "") else escape(str(amount))
    number = escape(format_amount(value))
    words = escape(gettext("SAR"))
    # The sign and the number make one left-to-right island (.sar in shop.css); the words after
    # the number make the text read "1,234.50 SAR" to a screen reader, a copy or a search.
    return Markup(
        f'<span class="sar">{RIYAL_SIGN}<span class="sar-amount">{number}</span>'
        f'<span class="visually-hidden"> {words}</span></span>'
    )


# --- Time -----------------------------------------------------------------------------------


def riyadh_time(moment: datetime | None, precise: bool = False) -> str:
    """A stored (naive UTC) time as the shopper reads it in Riyadh: ``2 Mar 2026, 12:30 AM``.

    ``precise`` is for staff: a 24-hour clock with seconds.
    """
    if moment is None:
        return ""
    locale, zone = get_locale() or "en", get_timezone()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    date = format_skeleton("yMMMd", moment, tzinfo=zone, locale=locale)
    clock = format_skeleton("Hms" if precise else "hm", moment, tzinfo=zone, locale=locale)
    return get_datetime_format("medium", locale=locale).replace("{1}", date).replace("{0}", clock)
