"""``url_for`` for templates, remembered: each URL is built once per process.

A page links the same URLs on every request (the layout's, the products'), and building one with
werkzeug's routing cost more than rendering the rest of the layout. A path depends only on the
endpoint, its values and the prefix the app is served under, so it is built once and reused.
External URLs (which name the host) and debug mode (where static fingerprints change as files
are edited) are built every time.
"""

from flask import Flask, has_request_context, request

MAX_URLS = 8192  # products × a few endpoints; past that, start again (no LRU bookkeeping)


def init_app(app: Flask) -> None:
    build = app.url_for
    urls: dict = {}

    def url_for(endpoint: str, **values) -> str:
        if values.get("_external") or app.debug or not has_request_context():
            return build(endpoint, **values)
        # A relative endpoint (".show") names one in the current blueprint.
        key = (
            request.script_root,
            request.blueprint if endpoint[0] == "." else None,
            endpoint,
            tuple(sorted(values.items())) if values else (),
        )
        try:
            url = urls.get(key)
        except TypeError:  # an unhashable value: rare enough to build each time
            return build(endpoint, **values)
        if url is None:
            if len(urls) >= MAX_URLS:
                urls.clear()
            url = urls[key] = build(endpoint, **values)
        return url

    app.jinja_env.globals["url_for"] = url_for
