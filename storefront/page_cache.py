"""Shop pages, rendered once and kept while what they show is unchanged.

A catalogue, product, cart or checkout page shows the catalogue (the same for every shopper at a
given catalogue version), the shopper's cart (its lines, or in the header its item count) and the
shopper's language. So a rendered page is kept under what its view shows (the page's key: which
category and page number, which product, which cart lines), the catalogue version, the cart
count, the URL prefix and the language. Two shoppers whose carts hold the same lines see the same
cart page, as two shoppers see the same product page.

The version and the cart are read afresh on every request (shopper.py), so a kept page never
shows an old price, an old count or someone else's cart. Nothing else in a kept page belongs to a
shopper: a request with flash messages to show is rendered as usual (they show once), a view with
the shopper's own details to show (the checkout form refilled after a failed payment) renders
without this, and the CSRF token of the page's forms is written into each response, never kept.
"""

import secrets
from collections.abc import Callable

from flask import Response, current_app, g, render_template, request, session
from flask_wtf.csrf import generate_csrf

from .browser_cache import page_etag
from .cart import current_item_count
from .i18n import current_language
from .shop.formatting import current_catalogue

# Stands for the CSRF token in a kept page. Random per process, so no product text can match it.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
MAX_PAGES = 2048  # pages × categories × carts × cart counts; past that, start again (no LRU bookkeeping)


def render_kept_page(
    page_key: tuple, template: str, values: Callable[[], dict], here: Callable[[], str] | None = None
) -> Response:
    """``render_template(template, **values())``, reused while ``page_key`` (what the view shows:
    e.g. the category and page number, or the cart's lines), the catalogue version and the cart
    count are the same. ``values`` and ``here`` are called only when the page is rendered.
    ``here``: the page's own address, for its language switch; by default its path without the
    query string, as a shopper's ``?ref=...`` must not be kept for the next shopper."""
    version = current_catalogue().version
    if version is None or session.get("_flashes") or current_app.jinja_env.auto_reload:
        g.here = here() if here else request.path
        return current_app.make_response(render_template(template, **values()))
    pages = current_app.extensions.setdefault("kept_pages", {})
    key = (page_key, version, current_item_count(), request.script_root, current_language())
    kept = pages.get(key)
    if kept is None:
        if len(pages) >= MAX_PAGES:
            pages.clear()
        g.here = here() if here else request.path
        # Kept as the bytes sent: encoding a page cost as much as the rest of serving it.
        html = render_template(template, **values(), csrf_token=lambda: CSRF_PLACEHOLDER).encode()
        # A page with a form gets a new CSRF token each time: no ETag, it is never the same twice.
        kept = pages[key] = (html, None if CSRF_PLACEHOLDER_BYTES in html else page_etag(html))
    html, etag = kept
    if etag is None:
        return current_app.make_response(html.replace(CSRF_PLACEHOLDER_BYTES, generate_csrf().encode()))
    response = current_app.make_response(html)
    response.set_etag(etag)
    return response


def cart_key(lines) -> tuple:
    """What a page shows of a cart: which products, how many of each (their prices are the
    catalogue version's)."""
    return tuple((line.product.id, line.quantity) for line in lines)
