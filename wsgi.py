"""The WSGI entry point: ``flask --app wsgi run`` or ``gunicorn wsgi:app``.

``create_app`` prepares the database (migrations, catalogue) once, under a lock, however many
gunicorn workers import this file at the same moment.

In demo mode (no POINTS_API_URL) the local Points sandbox is mounted at /points-sandbox in this
same process. The shop still reaches it only over HTTP, at the URL it would use for Points.
"""

import os
from pathlib import Path

from storefront import create_app
from storefront.cli import serving, start_or_exit
from storefront.config import DEMO_SANDBOX_PATH
from storefront.database import file_lock

app = start_or_exit(create_app)  # a setting to fix is one clean message, never a traceback

if app.config["POINTS_DEMO_MODE"]:
    from points_sandbox.mount import mount

    # The sandbox creates and seeds its own database as it starts: one worker at a time.
    with file_lock(Path(app.instance_path) / "points-sandbox-setup.lock"):
        mount(app, at=DEMO_SANDBOX_PATH)

points_at = f"{DEMO_SANDBOX_PATH} (demo mode)" if app.config["POINTS_DEMO_MODE"] else app.config["POINTS_API_URL"]
if serving():  # not on every CLI command
    app.logger.info("Storefront ready in process %d, Points at %s", os.getpid(), points_at)
