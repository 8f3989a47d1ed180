"""What browsers may keep, and for how long.

Static files are fingerprinted: ``url_for('static', filename='css/shop.css')`` reads
``/static/css/shop.css?v=<hash of the file's content>``, so a changed file has a new URL. A request
for the current fingerprint may be kept a year without asking again (``immutable``); any other
(no ``v``, or an old one) is answered ``no-cache`` with an ETag and a Last-Modified, so it is
revalidated (304) and never served stale.

Pages are HTML for one shopper (their cart count, their CSRF token): ``private, no-cache``, so no
shared cache keeps them and the browser asks each time. A kept page without a form carries an
ETag (page_cache.py), so an unchanged one costs a 304 and no body.
"""

import hashlib
import os

from flask import Flask, current_app, make_response, request
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
        response.headers["Cache-Control"] = "private, no-cache"
        if "If-None-Match" in request.headers and response.get_etag()[0]:
            response.make_conditional(request)  # the same page as last time: 304, no body
    return response


# static/js/live.js sends this on its polls; a navigation never does.
LIVE_POLL_HEADER = "X-Live-Poll"


def live_page(version: tuple, render):
    """A page that follows its data (the back office's orders, a shopper's order page).

    ``version`` is a few numbers one indexed query reads, and every change the page shows moves
    one of them. A navigation gets the whole page, flashes included, carrying that version
    (``live_etag``); static/js/live.js then asks every second with ``If-None-Match`` and gets 304
    (nothing rendered) until something changed, then the new page, whose ``[data-live]`` parts it
    swaps in. Polling, not a stream or a long poll: an open page costs one small request a second
    and never holds a worker between them (gunicorn's sync workers stay free for webhooks).
    ``render(live_etag=..., live_poll=...)`` renders the page; a poll's render shows no flash.
    """
    etag = "-".join(str(part) for part in version)
    if request.headers.get(LIVE_POLL_HEADER) != "1":
        return render(live_etag=etag, live_poll=False)
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(render(live_etag=etag, live_poll=True))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add(LIVE_POLL_HEADER)
    return response
