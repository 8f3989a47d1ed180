"""What browsers may keep, and for how long.

Static files are fingerprinted: ``url_for('static', filename='css/shop.css')`` reads
``/static/css/shop.css?v=<hash of the file's content>``, so a changed file has a new URL. A request
for the current fingerprint may be kept a year without asking again (``immutable``); any other
(no ``v``, or an old one) is answered ``no-cache`` with an ETag and a Last-Modified, so it is
revalidated (304) and never served stale.

Pages are HTML for one shopper (their cart count, their CSRF token): ``private, no-cache``, so no
shared cache keeps them and the browser asks each time, with an ETag so that an unchanged page
costs a 304 and no body.
"""

import hashlib
import os

from flask import Flask, current_app, g, request
from werkzeug.security import safe_join

ONE_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    app.extensions["static_fingerprints"] = {}  # filename -> (mtime, hash), per process

    @app.url_defaults
    def fingerprint_static_urls(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = fingerprint(values["filename"])

    app.after_request(set_cache_headers)


def fingerprint(filename: str) -> str:
    """The first 12 hex digits of the file's SHA-256, computed once per process (again in debug
    mode when the file's modification time changes, so an edited stylesheet shows at once)."""
    fingerprints = current_app.extensions["static_fingerprints"]
    known = fingerprints.get(filename)
    if known is not None and not current_app.debug:
        return known[1]
    path = safe_join(current_app.static_folder, filename)
    try:
        mtime = os.stat(path).st_mtime
    except (OSError, TypeError):  # TypeError: safe_join refused a path outside static/
        return "missing"  # the URL still works: it answers 404, as the file does
    if known is None or known[0] != mtime:
        with open(path, "rb") as file:
            known = fingerprints[filename] = (mtime, hashlib.sha256(file.read()).hexdigest()[:12])
    return known[1]


def set_cache_headers(response):
    if request.endpoint == "static":
        filename = (request.view_args or {}).get("filename", "")
        if response.status_code in (200, 304) and request.args.get("v") == fingerprint(filename):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
    elif response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        response.headers.add("Cache-Control", "private, no-cache")
        # A page carrying a CSRF token made for this response is never the same twice: no ETag.
        if (
            request.method == "GET"
            and response.status_code == 200
            and not response.is_streamed
            and "csrf_token" not in g
            and "ETag" not in response.headers
        ):
            response.set_etag(page_etag(response.get_data()))
        if "If-None-Match" in request.headers:
            response.make_conditional(request)  # the same page as last time: 304, no body
    return response


def add_vary(response, *names: str) -> None:
    """``response.vary.add(name)`` for each name, without werkzeug parsing the header into a set
    and writing it back each time (a page's response did so three times)."""
    vary = response.headers.get("Vary")
    present = {part.strip().lower() for part in vary.split(",")} if vary else set()
    missing = [name for name in names if name.lower() not in present]
    if missing:
        response.headers["Vary"] = ", ".join([vary, *missing] if vary else missing)


def page_etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()
