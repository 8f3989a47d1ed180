"""Fixtures: an app over a fresh database per test, and one live shop (with the embedded Points
sandbox) served over real HTTP for the whole session.

The database is SQLite in a temporary folder, or the PostgreSQL server named by DATABASE_URL
(``postgresql+psycopg://...``) when that is set: ``.ci/run`` runs the suite both ways.
"""

import os
import re
import shutil
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from chromium import CHROMIUM, CHROMIUM_ARGS
from flask import current_app, has_app_context
from flask.testing import FlaskClient
from servers import POSTGRES_URL, TEST_LIMITS, Gunicorn
from werkzeug.serving import make_server

from storefront import create_app
from storefront.config import DEMO_SANDBOX_PATH
from storefront.extensions import db as _db

TEST_SECRETS = {
    "SECRET_KEY": "test-secret-key",
    "POINTS_PUBLIC_KEY": "pk_sandbox_demo",
    "POINTS_PRIVATE_KEY": "sk_sandbox_demo",
    "POINTS_WEBHOOK_SECRET": "whsec_sandbox_demo",
}

# Every test presses Pay from 127.0.0.1, far more often than a shopper: never throttled here
# (tests/test_security.py sets the shipped limits where it tests them).


def _fresh_database(url: str) -> str:
    """Drop every table so each test starts from an empty schema (PostgreSQL only)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _ensure_postgres_database(url: str, name: str) -> str:
    """A sibling database on the same server (created if missing), for the live server."""
    base = sa.engine.make_url(url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _fresh_database(base.set(database=name).render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Path:
    """A SQLite file with the tables and the catalogue, made once and copied for each test.

    Made the way every start makes it: ``create_app`` runs the migrations and seeds."""
    path = tmp_path_factory.mktemp("template") / "shop.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "POINTS_API_URL": "http://points.invalid/api",
            "POINTS_DEMO_MODE": False,
            **TEST_SECRETS,
        }
    )
    with app.app_context():
        _db.engine.dispose()
    return path


@pytest.fixture
def database_url(request, tmp_path):
    if POSTGRES_URL:
        return _fresh_database(POSTGRES_URL)
    shutil.copyfile(request.getfixturevalue("seeded_sqlite"), tmp_path / "shop.db")
    return f"sqlite:///{tmp_path / 'shop.db'}"


@pytest.fixture
def app_config(database_url):
    """Settings of the per-test app; a test may change them before asking for ``app``."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_RECORD_QUERIES": True,
        "WTF_CSRF_ENABLED": False,
        # Nothing listens here: tests that need Points use the live sandbox or requests-mock.
        "POINTS_API_URL": "http://points.invalid/api",
        "POINTS_DEMO_MODE": False,
        **TEST_SECRETS,
        **TEST_LIMITS,
    }


class OneContextPerRequest(FlaskClient):
    """The test client, refusing to send a request while the test holds an app context of its app:
    Flask would run the request in that context, and ``g`` (the cart, the nav's categories) would
    outlive the request, as it never does in production."""

    def open(self, *args, **kwargs):
        if not self.preserve_context and has_app_context() and current_app._get_current_object() is self.application:
            raise RuntimeError(
                "a request sent inside `with app.app_context()` would share that context's g: "
                "read the database before or after the request, in a block of its own"
            )
        return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config):
    """The app, with no context pushed, as flaskr's: each request gets its own app context (and so
    its own ``g`` and database session), as in production. Test code that reads the database or
    ``current_app`` does it inside ``with app.app_context():`` (or holds ``app_context``)."""
    app = create_app(app_config)
    app.test_client_class = OneContextPerRequest
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def app_context(app):
    """An app context held for the whole test: for tests that call the domain directly and send no
    request (the client refuses to send one while it is held). Yields the app."""
    with app.app_context():
        yield app


def _in_app_context(app):
    """The app context the test holds, if any; else a new one, closed (with its session) on exit."""
    return nullcontext() if has_app_context() else app.app_context()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- Real HTTP ----------------------------------------------------------------------------------


class ServerThread:
    """A real threaded HTTP server for a WSGI app on a free local port."""

    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class LiveShop:
    """The whole demo (shop + embedded sandbox) over HTTP, with helpers that act like a shopper."""

    def __init__(self, shop_app, sandbox_app, server: ServerThread):
        self.app = shop_app
        self.sandbox_app = sandbox_app
        self.url = server.url
        self.sandbox_url = server.url + DEMO_SANDBOX_PATH

    # The shopper's side, through the real pages (CSRF and all).
    def shopper(self) -> requests.Session:
        return requests.Session()

    def csrf_token(self, session: requests.Session, path: str) -> str:
        page = session.get(self.url + path)
        page.raise_for_status()
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def add_to_cart(self, session, slug: str, quantity: int = 1):
        token = self.csrf_token(session, f"/products/{slug}")
        response = session.post(f"{self.url}/products/{slug}", data={"quantity": quantity, "csrf_token": token})
        response.raise_for_status()
        return response

    def pay(self, session, phone="0500000001", name="Sara Al-Qahtani", city="Riyadh", address_line="King Fahd Rd 1"):
        """Press Pay with Points; returns the response without following the redirect."""
        token = self.csrf_token(session, "/checkout")
        return session.post(
            f"{self.url}/checkout",
            allow_redirects=False,
            data={
                "csrf_token": token,
                "phone": phone,
                "name": name,
                "city": city,
                "address_line": address_line,
            },
        )

    def start_checkout(self, session, slug="sukkari-dates", quantity=1, **customer) -> str:
        """Add a product and press Pay; returns the sandbox checkout_url."""
        self.add_to_cart(session, slug, quantity)
        response = self.pay(session, **customer)
        assert response.status_code == 303, response.text[:500]
        return response.headers["Location"]

    # The sandbox's control endpoints, as a demo or a test drives them.
    def complete(self, checkout_url: str, phone="500000001", points=0, card_number="4111111111111111") -> dict:
        session_id = checkout_url.rstrip("/").rsplit("/", 1)[-1]
        response = requests.post(
            f"{self.sandbox_url}/_control/sessions/{session_id}/complete",
            json={"phone_number": phone, "points": points, "card_number": card_number},
        )
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def chaos(self, **switches) -> dict:
        response = requests.post(f"{self.sandbox_url}/_control/chaos", json=switches)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def calm(self) -> None:
        """Every chaos switch off."""
        self.chaos(
            webhook_delay_seconds=0,
            webhook_duplicate=False,
            webhook_reverse=False,
            webhook_drop_next=0,
            checkout_fail_status=None,
            checkout_fail_next=0,
            callback_params=True,
            forbid_merchant=False,
            forbid_ip=False,
            earning_fail_next=0,
            earning_hang_seconds=0,
            earning_hang_next=0,
            earning_delay_seconds=0,
        )

    def drain_webhooks(self, timeout: float = 10.0) -> dict:
        """Wait until the sandbox has delivered (or given up on) every webhook."""
        response = requests.get(f"{self.sandbox_url}/_control/deliveries", params={"wait": 1, "timeout": timeout})
        return response.json()

    def points_api(self, method: str, path: str, **kwargs) -> requests.Response:
        """Call the sandbox's merchant API as the merchant's server would (private key)."""
        return requests.request(
            method, f"{self.sandbox_url}/api{path}", headers={"x-api-key": TEST_SECRETS["POINTS_PRIVATE_KEY"]}, **kwargs
        )

    # Reading the shop's database, as a test asserts.
    def order(self, order_number=None, *, token=None):
        from storefront.models import Order

        with self.app.app_context():
            query = sa.select(Order)
            query = (
                query.where(Order.order_number == order_number) if order_number else query.where(Order.token == token)
            )
            order = _db.session.scalar(query)
            if order is not None:
                _db.session.expunge(order)
            return order

    def latest_order(self):
        from storefront.models import Order

        with self.app.app_context():
            order = _db.session.scalar(sa.select(Order).order_by(Order.id.desc()).limit(1))
            if order is not None:
                _db.session.expunge(order)
            return order

    def wait_for_status(self, order_number: str, *statuses: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            order = self.order(order_number)
            if order is not None and order.status in statuses:
                return order
            if time.monotonic() > deadline:
                raise AssertionError(f"{order_number} is {order and order.status}, not {statuses}, after {timeout}s")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def live_shop(tmp_path_factory):
    from points_sandbox.mount import mount

    folder = tmp_path_factory.mktemp("live")
    shop_db = (
        _ensure_postgres_database(POSTGRES_URL, "storefront_live")
        if POSTGRES_URL
        else f"sqlite:///{folder / 'shop.db'}"
    )
    shop = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": shop_db,
            "POINTS_API_URL": None,
            "POINTS_DEMO_MODE": True,
            "POINTS_EARN_SENDER": False,  # tests send earnings themselves (earn.send_due)
            "WTF_CSRF_ENABLED": True,
            "HOUSEKEEPING_THREAD": False,  # no background reconciliation under the tests' feet
            **TEST_SECRETS,
            **TEST_LIMITS,
        }
    )
    sandbox = mount(
        shop,
        at=DEMO_SANDBOX_PATH,
        config={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'points_sandbox.db'}",
            "SANDBOX_WEBHOOK_RETRY_DELAYS": [0.2, 0.5],
            "SANDBOX_REDIRECT_SECONDS": 1,
        },
    )
    server = ServerThread(shop.wsgi_app)
    shop.config["SHOP_BASE_URL"] = server.url  # as an operator sets it for CLI commands in demo mode
    live = LiveShop(shop, sandbox, server)
    yield live
    server.stop()


@pytest.fixture
def live(live_shop):
    """The live shop with every chaos switch off before and after the test."""
    live_shop.calm()
    yield live_shop
    live_shop.calm()


@pytest.fixture(scope="module")
def served_app(tmp_path_factory):
    """The shop alone (no Points, no demo) over its own database, served by a real threaded server
    on a free loopback port: for tests that fire concurrent HTTP requests at it. Yields (app, url)."""
    url = (
        _ensure_postgres_database(POSTGRES_URL, "storefront_served")
        if POSTGRES_URL
        else f"sqlite:///{tmp_path_factory.mktemp('served') / 'shop.db'}"
    )
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "POINTS_API_URL": "http://points.invalid/api",
            "POINTS_DEMO_MODE": False,
            **TEST_SECRETS,
        }
    )
    server = ServerThread(app)
    yield app, server.url
    server.stop()
    with app.app_context():
        _db.engine.dispose()


# --- Real servers in their own processes -------------------------------------------------------


@pytest.fixture
def start_gunicorn(tmp_path):
    """Start a README gunicorn command (``servers.Gunicorn``); each is stopped after the test."""
    started = []

    def start(command: str, env: dict) -> Gunicorn:
        server = Gunicorn(command, env, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --- Orders made directly in the database ------------------------------------------------------


@pytest.fixture
def make_order(app):
    """Create an order as if the shopper had pressed Pay: lines, totals, a pending status.

    Inside a held app context the order stays in its session, as the domain functions a test then
    calls expect. Otherwise it is made in a context of its own and comes back detached, its columns,
    lines and transitions loaded: what it says is the order as made; re-read it to see a change."""
    from decimal import Decimal

    from storefront.models import Order, OrderLine, OrderTransition, Product

    counter = iter(range(1, 10_000))

    def make(status="pending_payment", *, lines=(("sukkari-dates", 1),), shipping="25.00", points_uuid=None, **fields):
        with _in_app_context(app):
            products = {p.slug: p for p in _db.session.scalars(sa.select(Product))}
            n = next(counter)
            order = Order(
                order_number=f"PTS-2026-{900000 + n:06d}",
                status=status,
                customer_name="Sara",
                phone="500000001",
                city="Riyadh",
                address_line="King Fahd Rd 1",
                subtotal=Decimal("0.00"),
                shipping_amount=Decimal(shipping),
                total=Decimal("0.00"),
                points_uuid=points_uuid,
                **fields,
            )
            for slug, quantity in lines:
                product = products[slug]
                order.lines.append(
                    OrderLine(
                        product_id=product.id, product_name=product.name, unit_price=product.price, quantity=quantity
                    )
                )
            order.subtotal = sum((line.unit_price * line.quantity for line in order.lines), Decimal("0.00"))
            order.total = order.subtotal + order.shipping_amount
            order.transitions.append(OrderTransition(from_status=None, to_status=status, source="checkout"))
            _db.session.add(order)
            _db.session.commit()
            return _read_order(order.id)

    return make


def _read_order(order_id: int):
    """The order as the database holds it now, with its lines and transitions loaded."""
    from sqlalchemy.orm import selectinload

    from storefront.models import Order

    return _db.session.scalar(
        sa.select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines), selectinload(Order.transitions))
        .execution_options(populate_existing=True)
    )


@pytest.fixture
def reload(app):
    """``reload(order)``: the order as the database holds it now, with its lines and transitions;
    in the test's app context if it holds one, else read in one of its own and returned detached."""

    def read(order):
        with _in_app_context(app):
            return _read_order(order.id)

    return read


@pytest.fixture
def staff_client(app, client):
    """The test client, logged in to /admin as a staff member."""
    from werkzeug.security import generate_password_hash

    from storefront.admin.auth import start_staff_session
    from storefront.models import AdminUser

    with app.app_context():
        user = AdminUser(
            email="staff@example.test", password_hash=generate_password_hash("x", method="pbkdf2:sha256:1000")
        )
        _db.session.add(user)
        _db.session.commit()
        with client.session_transaction() as session:
            start_staff_session(session, user)
    return client


# --- A real browser, one for the whole session (tests/e2e, and the sandbox's own browser checks) ----


@pytest.fixture(scope="session")
def playwright_session():
    if not os.path.exists(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM}: browser tests skipped"
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"Chromium not found at {CHROMIUM}, and CI must run the browser tests "
                "(apt-get install chromium, or set CHROMIUM_PATH)",
                pytrace=False,
            )
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session):
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
