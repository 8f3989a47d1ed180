"""The WSGI entry point: ``flask --app wsgi run`` or ``gunicorn wsgi:app``.

In demo mode (no POINTS_API_URL) the local Points sandbox is mounted at /points-sandbox in this
same process. The shop still reaches it only over HTTP, through the URL it would use for Points.
"""
from storefront import create_app
from storefront.config import DEMO_SANDBOX_PATH

app = create_app()

if app.config["POINTS_DEMO_MODE"]:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    import points_sandbox

    sandbox = points_sandbox.create_app()
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {DEMO_SANDBOX_PATH: sandbox.wsgi_app})
