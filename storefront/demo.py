"""Demo mode's plumbing: where the embedded Points sandbox is, seen from this server.

With no ``POINTS_API_URL`` the sandbox is mounted in this very server (``wsgi.py``), so the shop
reaches it over HTTP at its own address. That address is noted per request from what the WSGI
server says, never from the Host header (which the browser writes: a forged one must not send our
API calls elsewhere). Outside a request (CLI commands) it is ``SHOP_BASE_URL``.
"""

import os
import time
from pathlib import Path

import click
from flask import Flask, current_app, g, request

from .config import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_SANDBOX_PATH
from .database import file_lock


def install(app: Flask) -> None:
    @app.before_request
    def note_own_origin():
        g.own_origin = own_origin(request.environ)
        # The background threads (the earning sender, housekeeping.py) have no request: they use
        # the first one's.
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


# --- The banner ----------------------------------------------------------------------------------

BANNER_WINDOW_SECONDS = 30  # workers started by one command within this share one banner


def print_banner_once(app: Flask, base_url: str) -> bool:
    """At the demo's start, the addresses a presenter needs: ``flask run`` is one process and prints
    them at every start; of gunicorn's workers, started together, the first prints them (a marker
    file in the instance folder names the arbiter that did)."""
    if click.get_current_context(silent=True) is not None:
        print("\n".join(["", *banner_lines(base_url), ""]), flush=True)  # ``flask run``: one process
        return True
    marker = Path(app.instance_path) / "demo-banner"  # gunicorn's workers: the arbiter is their parent
    with file_lock(marker.with_suffix(".lock")):
        parent = str(os.getppid())
        fresh = marker.exists() and time.time() - marker.stat().st_mtime < BANNER_WINDOW_SECONDS
        if fresh and marker.read_text() == parent:
            return False
        marker.write_text(parent)
    print("\n".join(["", *banner_lines(base_url), ""]), flush=True)
    return True


def banner_lines(base_url: str) -> list[str]:
    return [
        "Points Storefront demo (the Points sandbox runs inside it)",
        f"  Shop:             {base_url}/",
        f"  Admin:            {base_url}/admin   login {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}",
        f"  Sandbox control:  {base_url}{DEMO_SANDBOX_PATH}/_control/",
        f"  Presenter view:   {base_url}/presenter/",
        "  Shopper phones:   0500000001 (5,000 points), 0500000002 (none); card 4111 1111 1111 1111",
    ]
