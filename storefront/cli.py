"""Operator commands: ``flask --app wsgi seed | create-admin | reconcile | prune |
products off-sale | products on-sale | points webhooks list | register | delete | points send-earnings``.

Flask-Migrate adds ``flask --app wsgi db ...`` (``db migrate -m``, ``db upgrade``): see README.
Every command that fails says why on one line and exits non-zero, for cron and for people."""

import re
import sys
import time
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

from .config import SettingsError
from .extensions import db
from .models import AdminUser, Product, new_token
from .passwords import password_problems
from .points import earn
from .points.client import PointsError, points_client
from .points.reconcile import reconcile_stale_orders
from .retention import prune
from .seed import seed_catalogue

# gunicorn's arbiter stops (rather than restarting the worker for ever) when a worker exits with 3.
EXIT_CANNOT_START = 3


def serving() -> bool:
    """This process serves requests (gunicorn, ``flask run``), rather than running a CLI command."""
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def served_at(config) -> str:
    """Where this server listens, as well as the process can tell: ``flask run``'s own --host and
    --port, else SHOP_BASE_URL (gunicorn's --bind is not the app's to read)."""
    context = click.get_current_context(silent=True)
    if context is not None and context.info_name == "run" and context.params.get("port"):
        host = context.params.get("host") or "127.0.0.1"
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        return f"http://{host}:{context.params['port']}"
    return config["SHOP_BASE_URL"]


def start_or_exit(create_app):
    """``create_app()``, or, when a setting is wrong, that message and exit: no traceback."""
    try:
        return create_app()
    except SettingsError as error:
        print(f"Points Storefront cannot start. {error}", file=sys.stderr, flush=True)
        sys.exit(EXIT_CANNOT_START)


def parse_age(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise click.BadParameter("use a number and a unit, e.g. 15m, 2h, 1d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


def points_failure(error: PointsError, client) -> click.ClickException:
    """Points' refusal, or where the command tried to reach Points and which setting moves it."""
    if error.kind not in ("connection", "timeout"):
        return click.ClickException(f"Points refused: {error.message}")
    if current_app.config["POINTS_DEMO_MODE"]:
        hint = (
            "In demo mode the command reaches the sandbox inside the running shop, at SHOP_BASE_URL "
            f"({current_app.config['SHOP_BASE_URL']}). Is the shop running there? If it is served on "
            "another address, run the command with it, e.g. SHOP_BASE_URL=http://127.0.0.1:8000 flask --app wsgi ..."
        )
    else:
        hint = "Check POINTS_API_URL, and that this machine can reach it."
    return click.ClickException(f"{error.message} at {client.base_url}. {hint}")


def init_app(app) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Re-seed the demo catalogue (empties carts that point at old products)."""
        count = seed_catalogue()
        click.echo(f"Seeded {count} products.")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.password_option()
    def create_admin_command(email, password):
        """Create a staff account (or reset its password)."""
        email = email.strip().lower()
        problems = password_problems(password, email)
        if problems:
            raise click.ClickException("Choose another password: " + "; ".join(problems))
        user = db.session.scalar(sa.select(AdminUser).where(AdminUser.email == email))
        if user is None:
            user = AdminUser(email=email, password_hash="")
            db.session.add(user)
        user.password_hash = generate_password_hash(password)
        user.session_token = new_token()  # a new password ends every session opened with the old one
        db.session.commit()
        click.echo(f"Staff account {email} is ready.")

    @app.cli.command("reconcile")
    @click.option("--older-than", "older_than", default="15m", show_default=True, callback=lambda c, p, v: parse_age(v))
    def reconcile_command(older_than):
        """Ask Points about pending orders whose webhook never came. Exits 1 when an order could
        not be reconciled (and names it), for cron to mail."""
        results = reconcile_stale_orders(older_than)
        for result in results:
            click.echo(result.message)
        if not results:
            click.echo("No pending orders older than that.")
        failed = [r.order_number for r in results if r.failed]
        if failed:
            raise click.ClickException(
                f"{len(failed)} order(s) could not be reconciled: {', '.join(failed)}. Run it again later."
            )

    @app.cli.command("prune")
    @click.option("--batch", default=1000, show_default=True, help="Rows deleted per transaction.")
    def prune_command(batch):
        """Delete what has outlived its retention setting (README, Retention), in small batches."""
        for name, count in prune(batch=batch).items():
            click.echo(f"{name}: {count} deleted")

    products = AppGroup("products", help="Take products off sale, or put them back.")

    def set_on_sale(slug: str, on_sale: bool) -> None:
        product = db.session.scalar(sa.select(Product).where(Product.slug == slug))
        if product is None:
            raise click.ClickException(f"No product has the slug {slug!r}.")
        product.on_sale = on_sale
        db.session.commit()  # the catalogue version moves (a trigger): every kept page with it

    @products.command("off-sale")
    @click.argument("slug")
    def off_sale_command(slug):
        """Take a product off sale: unlisted, not for adding, left out of every cart's total."""
        set_on_sale(slug, False)
        click.echo(f"{slug} is off sale: its page says it is no longer available.")

    @products.command("on-sale")
    @click.argument("slug")
    def on_sale_command(slug):
        """Put a product back on sale."""
        set_on_sale(slug, True)
        click.echo(f"{slug} is on sale again.")

    app.cli.add_command(products)

    points = click.Group("points", help="Talk to the Points API.")
    webhooks = click.Group("webhooks", help="The webhooks registered at Points for this merchant.")
    points.add_command(webhooks)

    @webhooks.command("list")
    def list_webhooks_command():
        """List the webhooks Points delivers to (uuid, name, url)."""
        client = points_client()
        try:
            found = client.list_webhooks()
        except PointsError as error:
            raise points_failure(error, client) from None
        finally:
            db.session.commit()  # the recorded call
        for webhook in found:
            click.echo(f"{webhook.get('uuid')}  {webhook.get('name')}  {webhook.get('url')}")
        if not found:
            click.echo("No webhooks registered.")

    @webhooks.command("register")
    @click.argument("url")
    @click.option("--name", default="Points Storefront", show_default=True)
    def register_webhook_command(url, name):
        """Register URL as a webhook at Points and print its secret once."""
        if current_app.config["POINTS_DEMO_MODE"]:
            # The demo's sandbox already delivers to this shop with the demo secret: a second
            # webhook would send every event twice, one copy refused 401 and retried.
            raise click.ClickException(
                "Not in demo mode: the sandbox already delivers every event to this shop with the demo "
                "secret. A second webhook would deliver each event twice. Register webhooks against a real "
                "Points (set POINTS_API_URL and its keys)."
            )
        client = points_client()
        try:
            webhook = client.create_webhook(name, url)
        except PointsError as error:
            raise points_failure(error, client) from None
        finally:
            db.session.commit()
        click.echo(f"Registered webhook {webhook.get('uuid')} for {webhook.get('url')}")
        click.echo("Put this secret in POINTS_WEBHOOK_SECRET_NEXT (or POINTS_WEBHOOK_SECRET); it is shown only here:")
        click.echo(webhook.get("secret", ""))

    @points.command("send-earnings")
    @click.option("--loop", is_flag=True, help="Keep running: a pass every --every seconds (for systemd).")
    @click.option("--every", default=5.0, show_default=True, help="Seconds between passes with --loop.")
    def send_earnings_command(loop, every):
        """Send the due earnings of collected cash orders to Points, one at a time."""
        while True:
            for line in earn.send_due():
                click.echo(line)
            if not loop:
                return
            time.sleep(every)

    @webhooks.command("delete")
    @click.argument("webhook_uuid")
    @click.confirmation_option(prompt="Points will stop delivering to this webhook. Delete it?")
    def delete_webhook_command(webhook_uuid):
        """Delete a webhook at Points: it delivers no more events."""
        client = points_client()
        try:
            client.delete_webhook(webhook_uuid)
        except PointsError as error:
            raise points_failure(error, client) from None
        finally:
            db.session.commit()
        click.echo(f"Deleted webhook {webhook_uuid}.")

    # The name the README used before `points webhooks register`; the same command.
    points.add_command(register_webhook_command, "register-webhook")
    app.cli.add_command(points)
