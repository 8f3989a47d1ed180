"""Arabic and English: which language a request is in, the switch between them, and the
locale-aware formatting of money and time that every page (shop and admin) uses.

The words live in ``storefront/translations/ar/LC_MESSAGES/messages.po`` (Flask-Babel, gettext);
see the README for extracting and compiling them. The language is the shopper's choice (the
``lang`` cookie, set by the switch on every page), else the browser's ``Accept-Language``, else
``BABEL_DEFAULT_LOCALE``. Times are stored as naive UTC and shown in ``Asia/Riyadh``.
"""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_skeleton, get_datetime_format
from babel.numbers import format_decimal
from flask import Blueprint, current_app, g, has_request_context, redirect, request, url_for
from flask_babel import Babel, force_locale, get_locale, get_timezone, get_translations, gettext
from jinja2 import pass_context
from markupsafe import Markup, escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from .browser_cache import add_vary
from .money import to_cents, vat_share

# Right to left or left to right, by language; the first is the switch's order.
LANGUAGES = {"ar": "rtl", "en": "ltr"}
LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}  # each in its own language, never translated
LOCALES = {code: Locale.parse(code) for code in LANGUAGES}
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
SHOP_TIMEZONE = "Asia/Riyadh"

babel = Babel()
bp = Blueprint("i18n", __name__)


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", SHOP_TIMEZONE)
    babel.init_app(app, locale_selector=select_language)
    _install_template_gettext(app)
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


def _install_template_gettext(app) -> None:
    """The templates' ``_()``, ``gettext``, ``ngettext`` and ``{% trans %}``, one call each.

    Flask-Babel installs them through Jinja's i18n extension, where ``_('Cart')`` is three nested
    calls, each looking up the request's locale and catalogue again: about 10 µs, and a page says
    forty things. These behave the same, as Jinja's "newstyle" gettext does: the text is always
    %-formatted (so ``%%`` is a percent sign), the variables are escaped, the translation is not.
    They read the language from the page's ``lang`` (set by ``_language_context`` when the render
    starts, so ``force_locale`` around a render still works) and keep each language's catalogue,
    and its sentences without variables, once per process.
    """
    catalogues: dict = {}  # language -> (its translations, its sentences without variables)

    def catalogue(context):
        language = context.get("lang") or current_language()  # a macro imported without context
        found = catalogues.get(language)
        if found is None:
            with force_locale(language):
                found = catalogues[language] = (get_translations(), {})
        return found

    @pass_context
    def template_gettext(context, string: str, **variables) -> str:
        translations, sentences = catalogue(context)
        if variables or not context.eval_ctx.autoescape:
            return _as_template_text(context, translations.ugettext(string)) % variables
        said = sentences.get(string)
        if said is None:
            said = sentences[string] = Markup(translations.ugettext(string)) % {}
        return said

    @pass_context
    def template_ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        return _as_template_text(context, catalogue(context)[0].ungettext(singular, plural, num)) % variables

    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)


def _as_template_text(context, text: str) -> str:
    return Markup(text) if context.eval_ctx.autoescape else text


def select_language() -> Locale | str:
    """The shopper's choice if they made one, else the best of Accept-Language, else the default."""
    if not has_request_context():  # a CLI command, a domain function called from a test
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    cookies = request.cookies  # ``in`` first: a miss in ``.get`` raises and catches a werkzeug HTTPException
    chosen = cookies[LANG_COOKIE] if LANG_COOKIE in cookies else None
    if chosen not in LANGUAGES:
        chosen = (
            _best_language(request.headers.get("Accept-Language", "")) or current_app.config["BABEL_DEFAULT_LOCALE"]
        )
    # Parsed once per process: Flask-Babel would parse the code again on every request.
    return LOCALES.get(chosen) or chosen


@lru_cache(maxsize=1024)  # browsers send a handful of different headers, again and again
def _best_language(accept_language: str) -> str | None:
    return parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES)


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
    """Where the switch comes back to: this page, or (after a form post) the page the form is on.
    A page kept for every shopper names itself by what it shows (``g.here``, page_cache.py), never
    by the query string of the request that first rendered it."""
    if "here" in g:
        return g.here
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
        add_vary(response, "Accept-Language", "Cookie")  # the page's language depends on both
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
    return _formatted(to_cents(amount), get_locale() or "en")


@lru_cache(maxsize=4096)
def _formatted(cents: Decimal, locale) -> str:
    # A shop shows the same few hundred amounts over and over; Babel takes 7 µs for each.
    return format_decimal(cents, format="#,##0.00", locale=locale)


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
    return _sar_markup(to_cents(value), get_locale() or "en")


@lru_cache(maxsize=4096)
def _sar_markup(cents: Decimal, locale) -> Markup:
    number = escape(_formatted(cents, locale))
    with force_locale(locale):
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
