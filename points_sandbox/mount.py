"""Mount the sandbox inside another WSGI app (the shop's demo mode): one process, one port."""
from werkzeug.middleware.dispatcher import DispatcherMiddleware


def mount(host_app, at: str = "/points-sandbox", config: dict | None = None):
    """Serve a new sandbox app under ``at`` of ``host_app`` (a Flask app); returns the sandbox app.

    The two apps still talk only over HTTP: the host reaches the sandbox at ``<its origin><at>/api``.
    """
    from . import create_app

    sandbox = create_app(config)
    host_app.wsgi_app = DispatcherMiddleware(host_app.wsgi_app, {at: sandbox.wsgi_app})
    host_app.extensions["points_sandbox"] = sandbox
    return sandbox
