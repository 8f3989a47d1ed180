"""Points Storefront: a demo shop that takes payment through the Points hosted checkout."""

import logging

from flask import Flask, render_template
from flask.logging import default_handler
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import browser_cache, demo, formatting, housekeeping, i18n, labels, request_ids, security
from .config import load_config, refuse_demo_values_in_production
from .database import MIGRATIONS_DIR, prepare_database, tune_engine
from .extensions import csrf, db, migrate
from .privacy import PhoneMaskingFilter
from .request_ids import RequestIdFilter


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.update(load_config())
    if config:
        app.config.update(config)
    refuse_demo_values_in_production(app.config)

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    _configure_logging(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    browser_cache.init_app(app)
    i18n.init_app(app)
    formatting.init_app(app)
    labels.init_app(app)
    _widget_helpers(app)

    from . import admin, cart, checkout, cli, shop, webhooks

    app.register_blueprint(shop.bp)
    app.register_blueprint(cart.bp)
    app.register_blueprint(checkout.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(admin.bp)
    cli.init_app(app)
    _register_error_pages(app)
    security.install(app)
    request_ids.install(app)
    if app.config["POINTS_DEMO_MODE"]:
        demo.install(app)
        if app.config["POINTS_EARN_SENDER"] and not app.testing:
            # Started by the first request, when demo.install has noted where the sandbox is.
            from .points.earn import start_sender_thread

            @app.before_request
            def start_earning_sender() -> None:
                start_sender_thread(app)

        from . import presenter  # the presenter view exists only in demo mode

        app.register_blueprint(presenter.bp)

    with app.app_context():
        tune_engine(db.engine)
        prepare_database()  # done once, under a lock, however many workers start together
    if app.config["POINTS_DEMO_MODE"] and not app.testing and cli.serving():
        demo.print_banner_once(app, cli.served_at(app.config))
        if app.config["HOUSEKEEPING_THREAD"]:
            housekeeping.start(app)  # demo mode's cron: reconcile and prune by themselves
    return app


def _widget_helpers(app: Flask) -> None:
    from .points import widgets

    app.add_template_global(widgets.loader_url, "points_widget_loader")
    app.add_template_filter(widgets.points_for, "points_earned")


def _configure_logging(app: Flask) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
        )
        # The root handler prints everything once; Flask's own would print our records twice.
        app.logger.removeHandler(default_handler)
    # Phone numbers are PII: every record that reaches a handler is masked first; and every record
    # carries the request's id (request_ids.py), so one grep finds a request's lines and calls.
    for handler in root.handlers + app.logger.handlers:
        if not any(isinstance(f, PhoneMaskingFilter) for f in handler.filters):
            handler.addFilter(PhoneMaskingFilter())
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())


def _register_error_pages(app: Flask) -> None:
    # Each handler runs in the request, so the words come out in the shopper's language.
    def render_error(code, title, message):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    def bad_request(error):
        if isinstance(error, CSRFError):
            message = _("This form was open too long, or came from another site: reload the page and try again.")
        elif error.description and error.description != type(error).description:
            message = error.description  # the sentence of whoever refused it, in the shopper's language
        else:
            message = _("The request could not be understood.")
        return render_error(400, _("Bad request"), message)

    app.register_error_handler(400, bad_request)
    app.register_error_handler(403, lambda e: render_error(403, _("Not allowed"), _("You cannot open this page.")))
    app.register_error_handler(404, lambda e: render_error(404, _("Page not found"), _("We could not find that page.")))
    app.register_error_handler(
        500, lambda e: render_error(500, _("Something went wrong"), _("Please try again in a moment."))
    )
