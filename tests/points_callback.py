"""The shopper's way back from Points (callback_url), for the live tests.

Points appends query parameters to callback_url whose names are undocumented; our sandbox appends
``order_uuid`` and ``status``, the real one may append other names or none. The shop must work
without them, so a test that follows the way back drops them first, and a test about the
callback's uuid hint adds one itself (as Points might) instead of relying on the sandbox's guess.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SANDBOX_APPENDED = ("order_uuid", "status")


def without_points_params(url: str) -> str:
    """callback_url as the shop wrote it: without what Points appended."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in SANDBOX_APPENDED]
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_uuid_hint(url: str, points_uuid: str) -> str:
    """callback_url with an ``order_uuid`` appended, as Points might append it (an unverified hint)."""
    parts = urlsplit(without_points_params(url))
    query = parse_qsl(parts.query, keep_blank_values=True) + [("order_uuid", points_uuid)]
    return urlunsplit(parts._replace(query=urlencode(query)))
