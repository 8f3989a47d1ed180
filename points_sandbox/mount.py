"""Mount the sandbox inside another WSGI app's process, under a path prefix (demo mode).

    from points_sandbox.mount import mount
    mount(shop_app, at="/points-sandbox")

The shop still talks to it only over HTTP (`<server>/points-sandbox/api`), as it would to Points.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from . import create_app


def mount(app: Flask, at: str = "/points-sandbox", config: dict | None = None) -> Flask:
    """Serve a new sandbox app at `at` in front of `app.wsgi_app`; returns the sandbox app."""
    sandbox = create_app(config)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {at.rstrip("/"): sandbox})
    return sandbox
