"""Keeping PII and secrets out of logs, pages and the admin timeline."""

import logging
import re

# A KSA mobile in any of the accepted shapes: +966 5x..., 00966 5x..., 966 5x..., 05x..., 5x...
# standing on its own: not the middle of a longer token such as a uuid (``0b053750-3103-…``).
_PHONE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:\+?966|00966|0)[\s-]?)?(5)(?:[\s-]?\d){4}((?:[\s-]?\d){4})(?![0-9A-Za-z])"
)


def mask_phone(phone: str | None) -> str:
    """``512345678`` -> ``5****5678``; anything else keeps only its last four characters."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 9:
        local = digits[-9:]
        return f"{local[0]}****{local[-4:]}"
    return "****" + digits[-4:] if len(digits) > 4 else "****"


def mask_phones_in_text(text: str) -> str:
    def _mask(match):
        return match.group(1) + "****" + re.sub(r"\D", "", match.group(2))

    return _PHONE_RE.sub(_mask, text)


def mask_value(value: str | None) -> str:
    """Show that a secret was there, and its length, never its content."""
    if not value:
        return ""
    return f"***({len(value)} chars)"


def scrub(obj, secrets=()):
    """A copy of a JSON-like object with phone numbers and the given secret values masked."""
    secrets = [s for s in secrets if s]
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            lowered = str(key).lower()
            if lowered in ("phone_number", "phone") and isinstance(value, str):
                out[key] = mask_phone(value)
            elif lowered in ("secret", "x-api-key", "x-webhook-secret", "private_key") and value:
                out[key] = mask_value(str(value))
            else:
                out[key] = scrub(value, secrets)
        return out
    if isinstance(obj, list):
        return [scrub(v, secrets) for v in obj]
    if isinstance(obj, str):
        for s in secrets:
            obj = obj.replace(s, mask_value(s))
        return obj
    return obj


class PhoneMaskingFilter(logging.Filter):
    """Masks any KSA mobile number in a log record's final message."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:
            # A malformed log call (e.g. too few args) is logging's to report, not an exception for
            # the caller; mask what it will print in that report.
            record.msg = mask_phones_in_text(str(record.msg))
            if isinstance(record.args, tuple):
                record.args = tuple(mask_phones_in_text(str(arg)) for arg in record.args)
            return True
        masked = mask_phones_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
