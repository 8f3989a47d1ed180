"""Operator commands: ``flask --app wsgi seed | create-admin | reconcile | products off-sale |
products on-sale | points register-webhook | points send-earnings``.

Flask-Migrate adds ``flask --app wsgi db ...`` (``db migrate -m``, ``db upgrade``): see README."""

import re
import time
from datetime import timedelta

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

from .extensions import db
from .models import AdminUser, Product, new_token
from .points import earn
from .points.client import PointsError, points_client
from .points.reconcile import reconcile_stale_orders
from .seed import seed_catalogue


def parse_age(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise click.BadParameter("use a number and a unit, e.g. 15m, 2h, 1d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


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
        """Ask Points about pending orders whose webhook never came."""
        for line in reconcile_stale_orders(older_than):
            click.echo(line)

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

    @points.command("register-webhook")
    @click.argument("url")
    @click.option("--name", default="Points Storefront", show_default=True)
    def register_webhook_command(url, name):
        """Register URL as a webhook at Points and print its secret once."""
        try:
            webhook = points_client().create_webhook(name, url)
        except PointsError as exc:
            raise click.ClickException(f"Points refused: {exc.message}") from None
        click.echo(f"Registered webhook {webhook.get('uuid')} for {webhook.get('url')}")
        click.echo("Put this secret in POINTS_WEBHOOK_SECRET (it is shown only here):")
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

    app.cli.add_command(points)
