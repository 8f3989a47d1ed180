"""Demo mode's plumbing: where the embedded Points sandbox is, seen from this server.

With no ``POINTS_API_URL`` the sandbox is mounted in this very server (``wsgi.py``), so the shop
reaches it over HTTP at its own address. That address is noted per request from what the WSGI
server says, never from the Host header (which the browser writes: a forged one must not send our
API calls elsewhere). Outside a request (CLI commands) it is ``SHOP_BASE_URL``.
"""

from flask import Flask, current_app, g, request

from .config import DEMO_SANDBOX_PATH


def install(app: Flask) -> None:
    @app.before_request
    def note_own_origin():
        g.own_origin = own_origin(request.environ)
        # The background thread (housekeeping.py) has no request: it uses the first one's.
        app.extensions.setdefault("demo_own_origin", g.own_origin)


def sandbox_api_url() -> str:
    origin = g.get("own_origin") or current_app.extensions.get("demo_own_origin") or current_app.config["SHOP_BASE_URL"]
    return f"{origin}{DEMO_SANDBOX_PATH}/api"


def own_origin(environ: dict) -> str:
    """Where this server listens, from the WSGI environ."""
    # Behind ProxyFix, what the server itself was given, not what the proxy says.
    environ = {**environ, **environ.get("werkzeug.proxy_fix.orig", {})}
    host = environ.get("SERVER_NAME") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}:{environ.get('SERVER_PORT', '80')}"
