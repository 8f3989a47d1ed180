"""Points sandbox: a local stand-in for the Points (papp.sa) service — its merchant API,
its hosted checkout pages and its webhook sender.

Runs alone (`flask --app points_sandbox run --port 5001`) or mounted under a prefix with
werkzeug's DispatcherMiddleware; every URL it makes goes through url_for, so both work.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify, render_template, request, send_file
from sqlalchemy import event
from werkzeug.exceptions import HTTPException

from . import api, control, delivery, hosted, seed, widgets
from . import config as settings
from .extensions import csrf, db

OPENAPI_FILE = Path(__file__).with_name("openapi.yaml")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_url_path="/sandbox-static")
    app.config.update(settings.from_env())
    app.config.update(config or {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Requests and the webhook thread write the same file: wait for the lock, don't fail.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(hosted.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(widgets.bp)

    @app.get("/openapi.yaml")
    def openapi():
        return send_file(OPENAPI_FILE, mimetype="application/yaml")

    @app.get("/")
    def index():
        return render_template("sandbox/index.html")

    @app.after_request
    def no_framing(response):
        # Only the widget pages (their own CSP says frame-ancestors *) may be framed by a shop; the
        # hosted checkout only by a page of its own origin (the shop's presenter view, when mounted).
        if "Content-Security-Policy" not in response.headers:
            response.headers["X-Frame-Options"] = "SAMEORIGIN" if request.blueprint == "hosted" else "DENY"
        return response

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(error):
        if request.path.startswith("/api/") or request.path.startswith("/_control/"):
            message = "Not found." if error.code == 404 else "Method not allowed."
            return jsonify({"status": False, "message": message, "appended_data": {}}), error.code
        return render_template("sandbox/not_found.html"), error.code

    @app.errorhandler(Exception)
    def server_error(error):
        """Under /api/ a crash answers the ErrorResponse envelope, as Laravel's handler does."""
        api_call = request.path.startswith("/api/")
        if isinstance(error, HTTPException) and (error.code != 500 or not api_call):
            return error  # 4xx (CSRF, bad request …) as before
        if not api_call:
            raise error  # Flask's own handling: the debugger, or its 500 page
        if not isinstance(error, HTTPException):
            app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return jsonify({"status": False, "message": "Server Error", "appended_data": {}}), 500

    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            event.listen(db.engine, "connect", _sqlite_wal)
        db.create_all()
        seed.add_missing_columns()
        seed.seed()

    if app.config["SANDBOX_WEBHOOK_WORKER"]:
        worker = delivery.Worker(app)
        app.extensions[delivery.WORKER_KEY] = worker
        worker.start()
    return app


def _sqlite_wal(connection, _record):
    # WAL lets pages read while the worker writes its attempt log.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
