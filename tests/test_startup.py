"""Starting the shop: the README's gunicorn command on a fresh database, every time, and a
database made before migrations upgraded in place with its data.

These run real gunicorn processes (the README's command lines, as written, on a free port).
"""

import secrets
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from servers import BACKENDS, fresh_database, readme_demo_commands, readme_gunicorn_commands

from storefront import create_app
from storefront.database import BASELINE_REVISION, head_revision
from storefront.extensions import db

SCHEMA_BEFORE_MIGRATIONS = Path(__file__).parent / "fixtures" / "schema_3656917_{dialect}.sql"
PRODUCT_CARD = '<li class="product-card card">'
LEGACY_POINTS_UUID = "9f1c2b6e-0000-4000-8000-000000000001"


SHOP_HOST = "shop.example.com"


def production_env(database_url: str) -> dict:
    """What the README tells an operator to export, with placeholder values that pass the checks.
    Starting and serving the catalogue needs no network, so Points is never called."""
    return {
        "DATABASE_URL": database_url,
        "PRODUCTION": "1",
        "TRUSTED_PROXIES": "1",
        "POINTS_API_URL": "https://sandbox.papp.sa/api",
        "SHOP_BASE_URL": f"https://{SHOP_HOST}",
        "SECRET_KEY": secrets.token_hex(),
        "POINTS_PUBLIC_KEY": "pk_" + secrets.token_hex(8),
        "POINTS_PRIVATE_KEY": "sk_" + secrets.token_hex(16),
        "POINTS_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
    }


def test_readme_shows_a_four_worker_production_command_and_a_demo_with_the_sandbox_in_its_own_server():
    (production,) = readme_gunicorn_commands()
    assert "--workers 4" in production
    sandbox, shop = readme_demo_commands()["gunicorn"]
    # The shop's calls to Points never wait for one of the shop's own threads.
    assert "gunicorn" in sandbox and "points_sandbox" in sandbox and sandbox.endswith("&")
    assert shop.startswith("POINTS_API_URL=http://127.0.0.1:8001/api gunicorn ") and shop.endswith(" wsgi:app")


def catalogue_of(url: str) -> requests.Response:
    """The catalogue as a shopper gets it through the TLS proxy: for the shop's own host."""
    response = requests.get(url + "/", headers={"Host": SHOP_HOST}, timeout=10)
    assert response.status_code == 200, response.text[:500]
    return response


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_readme_gunicorn_command_starts_on_a_fresh_database_every_time(backend, tmp_path, start_gunicorn):
    (production,) = readme_gunicorn_commands()
    timings = []
    for _attempt in range(3):
        server = start_gunicorn(production, production_env(fresh_database(backend, tmp_path)))
        timings.append(server.wait_until_every_worker_is_ready())
        assert catalogue_of(server.url).text.count(PRODUCT_CARD) == 16
        log = server.log()
        assert "Traceback" not in log and "Worker failed to boot" not in log, log[-4000:]
        # The set-up ran once: one worker migrated and seeded, the others found it done.
        assert log.count("Migrating the database") == 1 and log.count("Seeding the demo catalogue") == 1
        server.stop()
    print(
        f"\n{backend}: 3 of 3 fresh starts served the catalogue; every worker ready after "
        + ", ".join(f"{t:.1f}s" for t in timings)
    )


def test_the_migrations_make_exactly_the_schema_of_the_models(app_context):
    """``flask db migrate`` would write nothing: migrations and models agree (on this dialect)."""
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_the_app_migrates_an_empty_database_to_the_newest_revision(app_context):
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == head_revision()


# --- A database made before migrations ----------------------------------------------------------


def create_schema_before_migrations(url: str) -> None:
    """The tables exactly as ``create_all`` made them at 3656917 (statements kept in tests/fixtures)."""
    engine = sa.create_engine(url)
    statements = Path(str(SCHEMA_BEFORE_MIGRATIONS).format(dialect=engine.dialect.name)).read_text().split(";\n")
    with engine.begin() as connection:
        for statement in filter(str.strip, statements):
            connection.exec_driver_sql(statement)
    engine.dispose()


def insert_rows(url: str) -> None:
    """A shop's worth of data written into the old tables without the current models."""
    engine = sa.create_engine(url)
    now = datetime(2026, 3, 1, 12, 0, 0)
    tables = sa.MetaData()
    tables.reflect(engine)
    product, orders, line, transition = (
        tables.tables[n] for n in ("product", "orders", "order_line", "order_transition")
    )
    with engine.begin() as connection:
        product_id = connection.execute(
            product.insert(),
            {
                "slug": "legacy-oud",
                "name": "Legacy Oud",
                "category": "Home & Fragrance",
                "description": "Sold before migrations.",
                "price": Decimal("240.00"),
                "image": "products/oud-incense.svg",
                "position": 0,
            },
        ).inserted_primary_key[0]
        order_id = connection.execute(
            orders.insert(),
            {
                "order_number": "PTS-2026-000001",
                "token": "legacy-token",
                "status": "paid",
                "cart_fingerprint": "",
                "customer_name": "Sara",
                "phone": "500000001",
                "city": "Riyadh",
                "address_line": "King Fahd Rd 1",
                "subtotal": Decimal("480.00"),
                "shipping_amount": Decimal("0.00"),
                "total": Decimal("480.00"),
                "refunded_amount": Decimal("0.00"),
                "points_uuid": LEGACY_POINTS_UUID,
                "created_at": now,
                "updated_at": now,
                "paid_at": now,
            },
        ).inserted_primary_key[0]
        connection.execute(
            line.insert(),
            {
                "order_id": order_id,
                "product_id": product_id,
                "product_name": "Legacy Oud",
                "unit_price": Decimal("240.00"),
                "quantity": 2,
            },
        )
        connection.execute(
            transition.insert(),
            [
                {
                    "order_id": order_id,
                    "from_status": None,
                    "to_status": "pending_payment",
                    "source": "checkout",
                    "created_at": now,
                },
                {
                    "order_id": order_id,
                    "from_status": "pending_payment",
                    "to_status": "paid",
                    "source": "webhook",
                    "created_at": now,
                },
            ],
        )
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_made_before_migrations_is_upgraded_in_place_with_its_data(backend, tmp_path, start_gunicorn):
    url = fresh_database(backend, tmp_path)
    create_schema_before_migrations(url)
    insert_rows(url)

    (production,) = readme_gunicorn_commands()
    server = start_gunicorn(production, production_env(url))
    server.wait_until_every_worker_is_ready()
    page = catalogue_of(server.url).text
    assert "Legacy Oud" in page and page.count(PRODUCT_CARD) == 1  # a catalogue exists: not re-seeded
    assert "stamping them as revision " + BASELINE_REVISION in server.log()
    server.stop()

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == head_revision()
        order = connection.execute(
            sa.text("SELECT id, order_number, status, total, points_uuid FROM orders WHERE token = 'legacy-token'")
        ).one()
        assert (order.order_number, order.status, Decimal(str(order.total))) == (
            "PTS-2026-000001",
            "paid",
            Decimal("480.00"),
        )
        assert order.points_uuid == LEGACY_POINTS_UUID
        assert connection.execute(
            sa.text("SELECT product_name, quantity FROM order_line WHERE order_id = :id"), {"id": order.id}
        ).all() == [("Legacy Oud", 2)]
        assert (
            connection.scalar(sa.text("SELECT count(*) FROM order_transition WHERE order_id = :id"), {"id": order.id})
            == 2
        )
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_shop_reads_an_upgraded_old_database_through_its_models(backend, tmp_path, app_config):
    """The same upgrade in this process: the order page shows the old order from the old tables."""
    url = fresh_database(backend, tmp_path)
    create_schema_before_migrations(url)
    insert_rows(url)
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    page = app.test_client().get("/orders/legacy-token").get_data(as_text=True)
    assert "PTS-2026-000001" in page and "Legacy Oud" in page
    with app.app_context():
        db.engine.dispose()
