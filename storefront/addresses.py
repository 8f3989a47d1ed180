"""Addresses: where this shop sends a browser, and where Points may send it back.

- ``callback_url`` is built by :func:`external_url_for`: in production from ``SHOP_BASE_URL``,
  never from the Host header, so a forged Host cannot make Points send a shopper elsewhere.
- :func:`points_checkout_origins`: where Pay may send the browser (the CSP's ``form-action``).
- :func:`safe_next`: a ``?next=`` that can only lead to a page of this site.
"""

from urllib.parse import urlsplit

from flask import current_app, request, url_for

from . import demo
from .config import origin_of


def points_checkout_origins() -> list[str]:
    """Where a shopper's browser may be sent to pay: POINTS_API_URL's origin (in demo mode, the
    embedded sandbox at this server's own address) and POINTS_CHECKOUT_ORIGINS."""
    api_url = current_app.config["POINTS_API_URL"] or demo.sandbox_api_url()
    return list(dict.fromkeys([origin_of(api_url), *current_app.config["POINTS_CHECKOUT_ORIGINS"]]))


def checkout_origin_allowed(checkout_url: str) -> bool:
    """Whether the CSP lets the browser follow the 303 to this checkout_url."""
    target = urlsplit(checkout_url)
    for allowed in [f"{request.scheme}://{request.host}", *points_checkout_origins()]:
        source = urlsplit(allowed)
        wildcard = source.netloc.startswith("*.")
        if source.scheme == target.scheme and (
            source.netloc == target.netloc or wildcard and target.netloc.endswith(source.netloc[1:])
        ):
            return True
    return False


def external_url_for(endpoint: str, **values) -> str:
    """An absolute URL of this shop for another party to send the shopper back to (callback_url).

    In production it is built from SHOP_BASE_URL, never from the Host header. In demo mode, from
    the request, so the demo works on any host and port.
    """
    if not current_app.config["PRODUCTION"]:
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(current_app.config["SHOP_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def safe_next(target: str | None, default: str, under: str = "/") -> str:
    """``target`` if it is a path on this site under ``under``; else ``default``. Another host, a
    scheme, ``//`` or a backslash (which browsers read as a slash) never passes."""
    if target and target.startswith(under) and target.startswith("/") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return default
