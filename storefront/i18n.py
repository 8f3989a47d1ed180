"""Arabic and English: which language a request is in, and the switch between them.

The words live in ``storefront/translations/ar/LC_MESSAGES/messages.po`` (Flask-Babel, gettext);
see the README for extracting and compiling them. The language is the shopper's choice (the
``lang`` cookie, set by the switch on every page), else the browser's ``Accept-Language``, else
``BABEL_DEFAULT_LOCALE``. Times are stored as naive UTC and shown in ``Asia/Riyadh``.
"""

from flask import current_app, g, has_request_context, request, url_for
from flask_babel import Babel, get_locale

# Right to left or left to right, by language; the first is the switch's order.
LANGUAGES = {"ar": "rtl", "en": "ltr"}
LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}  # each in its own language, never translated
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
SHOP_TIMEZONE = "Asia/Riyadh"

babel = Babel()


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", SHOP_TIMEZONE)
    babel.init_app(app, locale_selector=select_language)
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


def isolated(text) -> str:
    """``text`` kept in its own direction inside a sentence of the reader's language. In Arabic,
    an order number, a uuid or an English label at the end of a sentence would otherwise take the
    full stop (or a bracket) to the wrong end of the line: Unicode's isolates (FSI ... PDI) keep
    them apart. Plain text, so it works in a flash, an attribute or a log line alike."""
    return f"\u2068{text}\u2069" if current_language() == "ar" else str(text)


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
    return {
        "lang": lang,
        "text_direction": LANGUAGES[lang],
        "language_switch": [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "dir": LANGUAGES[code],
                "url": url_for("shop.switch_language", code=code, next=here),
            }
            for code in LANGUAGES
            if code != lang
        ],
    }


def _vary_on_language(response):
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))  # the page's language depends on both
    return response
