"""The WSGI entry point: ``flask --app wsgi run`` or ``gunicorn wsgi:app``.

In demo mode (no POINTS_API_URL) the local Points sandbox is mounted at /points-sandbox in this
same process. The shop still reaches it only over HTTP, at the URL it would use for Points.
"""
from storefront import create_app
from storefront.config import DEMO_SANDBOX_PATH

app = create_app()

if app.config["POINTS_DEMO_MODE"]:
    from points_sandbox.mount import mount

    mount(app, at=DEMO_SANDBOX_PATH)
