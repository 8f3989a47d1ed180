"""How every page (shop and admin) writes money, times and names, in the reader's language."""

import re
from datetime import UTC, datetime

from babel.dates import format_skeleton, get_datetime_format
from flask_babel import format_decimal, get_locale, get_timezone, gettext
from markupsafe import Markup, escape

from . import catalogue
from .i18n import current_language
from .money import parse_decimal, to_cents, vat_share


def init_app(app) -> None:
    for function in (
        sar,
        sar_text,
        riyadh_time,
        vat_share,
        unbroken_hyphens,
        category_name,
        product_name,
        product_description,
        points_number,
        address,
    ):
        app.add_template_filter(function)


def points_number(count) -> str:
    """A number of points, grouped: ``1,150``."""
    return f"{int(count):,}"


# --- Money ----------------------------------------------------------------------------------

# The Saudi riyal sign (U+20C1, 2025) is in few fonts yet: drawn here, with the words for screen
# readers. It stands to the left of the number in both directions, as SAMA's guidelines ask.
RIYAL_SIGN = Markup(
    '<svg class="sar-sign" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">'
    '<path fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="miter" '
    'd="M9.5 2v14.2l-1.6 2.3-6.4 1.4M15 3.6v15.3l6.8-1.5M2.2 13.4l19.6-4.2M15 14.3l6.8-1.5M14 22.4l7.8-1.7"/></svg>'
)


def format_amount(amount) -> str:
    """The number alone, two decimals, grouped as the language groups it: ``1,234.50``."""
    return format_decimal(to_cents(amount), format="#,##0.00")


def sar_text(amount) -> str:
    """Money as plain text (a flash message, an attribute): ``1,234.50 SAR`` / ``1,234.50 ر.س``."""
    value = parse_decimal(amount)
    if value is None:
        return "" if amount in (None, "") else str(amount)
    return gettext("%(amount)s SAR", amount=format_amount(value))


def sar(amount) -> Markup:
    """``{{ amount|sar }}``: the riyal sign and the amount, for every page of the shop and the admin."""
    value = parse_decimal(amount)
    if value is None:
        return Markup("") if amount in (None, "") else escape(str(amount))
    # The sign and the number make one left-to-right island (.sar in shop.css); the words after
    # the number make the text read "1,234.50 SAR" to a screen reader, a copy or a search.
    words = gettext("SAR")  # outside the f-string, where pybabel extract finds it
    return Markup(
        f'<span class="sar">{RIYAL_SIGN}<span class="sar-amount">{escape(format_amount(value))}</span>'
        f'<span class="visually-hidden"> {escape(words)}</span></span>'
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


# --- Names ----------------------------------------------------------------------------------


ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")


def address(parts) -> Markup:
    """An address's parts (name, street, city) in one line, with the comma of the script it is
    written in: "، " for an address in Arabic (whatever the page's language), ", " otherwise.
    Empty parts are left out."""
    parts = [part for part in parts if part]
    comma = "، " if any(ARABIC_LETTER.search(str(part)) for part in parts) else ", "
    return Markup(comma).join(escape(part) for part in parts)


def unbroken_hyphens(name: str) -> str:
    """``Al-Qahtani`` with non-breaking hyphens (U+2011): a narrow phone never splits a name there."""
    return (name or "").replace("-", "\u2011")


def category_name(category: str) -> str:
    """A category as stored (English, as in its URL), in the shopper's language."""
    return gettext(category) if category else ""


def product_name(product) -> str:
    """A product's name in the shopper's language."""
    return catalogue.name_in(product, current_language())


def product_description(product) -> str:
    return catalogue.description_in(product, current_language())
