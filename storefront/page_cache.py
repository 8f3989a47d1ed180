"""Shop pages, rendered once and kept while what they show is unchanged: the one cache, at the edge.

A catalogue, product, cart or checkout page shows the catalogue (the same for every shopper at a
given catalogue version), the shopper's cart (its lines, or in the header its item count) and the
shopper's language. So a rendered page is kept under what its view shows (``page_key``: which
category and page, which product, which cart lines), the catalogue version, the cart's item
count, the URL prefix and the language. The version and the cart are read afresh on every
request, in one query (``session_cart.cart_contents``): a kept page never shows an old price or
another shopper's cart. Database triggers move the version on every write to a product.

What belongs to one shopper is never kept: a request with flash messages renders as usual, and
the CSRF token of a kept page's forms (written the usual way, ``{{ form.csrf_token }}``) is taken
out when the page is kept and the shopper's own put back into each response.
"""

import hashlib
import secrets
from collections.abc import Callable

from flask import Response, current_app, g, get_flashed_messages, render_template, request, session
from flask_wtf.csrf import generate_csrf

from .i18n import current_language
from .session_cart import cart_contents

# Stands for the CSRF token in a kept page. Random per process, so no product text can match it.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}".encode()
MAX_PAGES = 2048  # pages × carts × cart counts × languages; past that, start again


def render_kept_page(
    page_key: tuple, template: str, values: Callable[[], dict], here: Callable[[], str] | None = None
) -> Response:
    """``render_template(template, **values())``, reused while ``page_key``, the catalogue
    version and the cart count are the same. ``values`` and ``here`` are called only when the
    page is rendered. ``here``: the page's own address, for its language switch; by default its
    path without the query string (a shopper's ``?ref=...`` must not be kept for the next one)."""
    contents = cart_contents()
    if contents.catalogue_version is None or current_app.debug or get_flashed_messages():
        g.here = here() if here else request.path
        return current_app.make_response(render_template(template, **values()))
    pages = current_app.extensions.setdefault("kept_pages", {})
    key = (page_key, contents.catalogue_version, contents.item_count, request.script_root, current_language())
    kept = pages.get(key)
    if kept is None:
        g.here = here() if here else request.path
        kept = _keep(render_template(template, **values()))
        if len(pages) >= MAX_PAGES:
            pages.clear()
        pages[key] = kept
    html, etag = kept
    if etag is None:  # a page with a form: this shopper's own CSRF token, never the same twice
        return current_app.make_response(html.replace(CSRF_PLACEHOLDER, generate_csrf().encode()))
    response = current_app.make_response(html)
    response.set_etag(etag)
    return response


def _keep(html: str) -> tuple[bytes, str | None]:
    """The page as kept (as the bytes sent): its CSRF token, if it has a form, replaced by the
    placeholder; an ETag only for a page without a form, the same for everyone until its key moves.

    A token rendered in this request is ``generate_csrf()``'s (Flask-WTF gives one token per
    request, however the template wrote it), and Flask-WTF keeps its secret in the session
    under WTF_CSRF_FIELD_NAME: without that key, no token was rendered."""
    if current_app.config["WTF_CSRF_FIELD_NAME"] in session:
        token = generate_csrf()
        if token in html:
            return html.replace(token, CSRF_PLACEHOLDER.decode()).encode(), None
    body = html.encode()
    return body, hashlib.sha1(body).hexdigest()
