"""KSA mobile numbers, as Points accepts them."""

import re

_SEPARATORS = re.compile(r"[\s\-()]")
# Shoppers on Arabic keyboards type ٠١٢٣٤٥٦٧٨٩ (or the Persian ۰…۹); Points wants ASCII digits.
_TO_ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# [0-9], not \d: \d also matches Arabic-Indic digits, which must not reach Points as non-ASCII text.
_KSA_MOBILE = re.compile(r"(?:\+966|00966|966|0)?(5[0-9]{8})")


def normalize_phone(raw: str) -> str | None:
    """``+966 55 123 4567``, ``00966…``, ``966…``, ``055…`` or ``55…`` -> ``551234567``, in Latin or Arabic-Indic digits; else None."""
    compact = _SEPARATORS.sub("", (raw or "").translate(_TO_ASCII_DIGITS))
    match = _KSA_MOBILE.fullmatch(compact)
    return match.group(1) if match else None


def display_phone(normalized: str) -> str:
    """``551234567`` -> ``0551234567``, as a Saudi shopper writes their own number."""
    return f"0{normalized}" if normalized and len(normalized) == 9 else (normalized or "")
