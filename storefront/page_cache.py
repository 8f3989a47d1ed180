"""Catalogue and product pages, rendered once per catalogue version and cart count.

Those pages show the catalogue, the same for every shopper, and in the header the shopper's cart
count, in the shopper's language. So a rendered page is kept under (which page, catalogue version,
cart count, URL prefix, language).
The version and the count are read afresh on every request, so a kept page never shows an old
price or someone else's count. Nothing else in it belongs to a shopper: a request with flash
messages to show is rendered as usual (they show once), and the CSRF token of the add-to-cart
form is written into each response, never kept.
"""

import secrets

from flask import Response, current_app, render_template, request, session
from flask_wtf.csrf import generate_csrf

from ..browser_cache import page_etag
from ..cart import current_item_count
from ..i18n import current_language
from .formatting import current_catalogue

# Stands for the CSRF token in a kept page. Random per process, so no product text can match it.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
MAX_PAGES = 2048  # pages × categories × cart counts; past that, start again (no LRU bookkeeping)


def render_shop_page(page_key: tuple, template: str, **values) -> Response:
    """``render_template(template, **values)``, reused while ``page_key`` (what the view shows:
    e.g. the category and page number), the catalogue version and the cart count are the same."""
    version = current_catalogue().version
    if version is None or session.get("_flashes") or current_app.jinja_env.auto_reload:
        return current_app.make_response(render_template(template, **values))
    pages = current_app.extensions.setdefault("shop_pages", {})
    key = (page_key, version, current_item_count(), request.script_root, current_language())
    kept = pages.get(key)
    if kept is None:
        if len(pages) >= MAX_PAGES:
            pages.clear()
        html = render_template(template, **values, csrf_token=lambda: CSRF_PLACEHOLDER)
        # A page with a form gets a new CSRF token each time: no ETag, it is never the same twice.
        kept = pages[key] = (html, None if CSRF_PLACEHOLDER in html else page_etag(html))
    html, etag = kept
    if etag is None:
        return current_app.make_response(html.replace(CSRF_PLACEHOLDER, generate_csrf()))
    response = current_app.make_response(html)
    response.set_etag(etag)
    return response
