"""Fixtures of the Points sandbox's own tests (prefixed `sandbox_` so they never clash with
the storefront's fixtures in tests/conftest.py).

- `sandbox_app` / `sandbox_client`: a sandbox over a fresh SQLite file, webhook worker off
  (deliveries stay in the outbox, where tests read them).
- `sandbox_contract`: checks a response against points_sandbox/openapi.yaml.
- `sandbox_shopper`: walks the hosted pages with the test client, CSRF tokens and all.
- `sandbox_receiver` + `sandbox_live_app`: a real HTTP server receiving webhooks from the
  worker thread, with tiny retry delays.
"""

from __future__ import annotations

import json
import re
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from jsonschema import Draft7Validator, FormatChecker
from werkzeug.serving import make_server

from points_sandbox import create_app, seed
from points_sandbox.extensions import db
from points_sandbox.models import Delivery

REPO = Path(__file__).resolve().parents[2]
OPENAPI = REPO / "points_sandbox" / "openapi.yaml"
SHARED_OPENAPI = REPO / ".." / "shared" / "points-openapi.yaml"
PK, SK = "pk_sandbox_demo", "sk_sandbox_demo"
CHECKOUT = f"/api/v1/orders/checkout/{PK}"


# --- The contract -----------------------------------------------------------------------------

# The webhook `order` fields every delivery carries (points-api-reference.md §5.4).
DOCUMENTED_ORDER_FIELDS = {
    "id",
    "reference_number",
    "order_number",
    "type",
    "total_price",
    "total_points",
    "payment_status",
    "order_status",
    "metadata",
    "created_at",
    "updated_at",
}


def _to_json_schema(node):
    """OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes a null alternative."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _to_json_schema(value) for key, value in node.items() if key != "example"}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


class Contract:
    def __init__(self, spec: dict):
        self.spec = spec
        self.components = _to_json_schema(spec["components"])

    def schema(self, name: str) -> Draft7Validator:
        return Draft7Validator(
            {"$ref": f"#/components/schemas/{name}", "components": self.components}, format_checker=FormatChecker()
        )

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            _, section, name = node["$ref"].lstrip("#/").split("/")
            node = self.spec["components"][section][name]
        return node

    def __call__(self, response, path: str, method: str) -> dict:
        """Assert the status is documented for the operation and the body matches its schema."""
        operation = self.spec["paths"][path][method.lower()]
        documented = operation["responses"]
        status = str(response.status_code)
        if status in documented:
            content = self._resolve(documented[status])["content"]["application/json"]["schema"]
        else:
            # Auth failures are a 400 on every authenticated endpoint, even where the file forgot it.
            assert status == "400" and response.json["message"] == "Invalid or inactive API key", (
                f"{method} {path} answered {status}, which the OpenAPI file does not document"
            )
            content = {"$ref": "#/components/schemas/ErrorResponse"}
        validator = Draft7Validator(
            {**_to_json_schema(content), "components": self.components}, format_checker=FormatChecker()
        )
        errors = sorted(validator.iter_errors(response.json), key=str)
        assert not errors, f"{method} {path} {status}: " + "; ".join(e.message for e in errors[:5])
        return response.json


@pytest.fixture(scope="session")
def sandbox_spec() -> dict:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sandbox_contract(sandbox_spec) -> Contract:
    return Contract(sandbox_spec)


# --- Apps -------------------------------------------------------------------------------------


def _config(folder: Path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'sandbox.db'}",
        "SANDBOX_WEBHOOK_WORKER": False,
        "SANDBOX_WEBHOOK_URL_OVERRIDE": None,
        "SANDBOX_WEBHOOK_RETRY_DELAYS": [0.05, 0.1],
        "SANDBOX_WEBHOOK_TIMEOUT": 2,
        "SANDBOX_EXPIRY_SWEEP_SECONDS": 0.05,
    }


@pytest.fixture
def sandbox_config(tmp_path) -> dict:
    return _config(tmp_path)


@pytest.fixture(scope="session")
def _sandbox_shared_app(tmp_path_factory):
    # Building a Flask app costs more than most tests (route compilation), so the worker-less
    # tests share one and get the tables wiped and re-seeded instead.
    app = create_app(_config(tmp_path_factory.mktemp("sandbox")))
    yield app
    _stop(app)


@pytest.fixture
def sandbox_app(_sandbox_shared_app):
    app = _sandbox_shared_app
    saved = dict(app.config)
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        seed.seed()
        db.session.remove()
    yield app
    app.config.clear()
    app.config.update(saved)


def _stop(app):
    worker = app.extensions.get("points_sandbox_worker")
    if worker is not None:
        worker.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sandbox_client(sandbox_app):
    return sandbox_app.test_client()


@pytest.fixture
def sandbox_checkout(sandbox_client):
    """Start a checkout; returns (session_id, order_uuid). Any CheckoutRequest field may be overridden."""

    def start(**fields):
        body = {
            "total_price": 100,
            "order_number": "PTS-2026-000001",
            "phone_number": "0500000001",
            "callback_url": "http://shop.test/checkout/return?order=tok123",
            "products": [{"product_name": "Sukkari dates", "product_price": 75, "quantity": 1}],
            "shipping_amount": 25,
            **fields,
        }
        response = sandbox_client.post(CHECKOUT, json=body)
        assert response.status_code == 200, response.json
        session_id = response.json["data"]["checkout_url"].rsplit("/", 1)[-1]
        return session_id, sandbox_client.get(f"/_control/sessions/{session_id}").json["order_uuid"]

    return start


@pytest.fixture
def sandbox_deliveries(sandbox_app):
    """The outbox as (event, order dict) pairs, oldest first."""

    def read(status=None):
        with sandbox_app.app_context():
            query = sa.select(Delivery).order_by(Delivery.id)
            if status:
                query = query.where(Delivery.status == status)
            return [(d.event, json.loads(d.payload)["order"]) for d in db.session.scalars(query)]

    return read


# --- A shopper on the hosted pages -------------------------------------------------------------

VOID = {"input", "meta", "link", "br", "img", "hr"}


class _TestidText(HTMLParser):
    """The text inside the first element carrying `data-testid=<testid>`."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid, self.depth, self.found, self.parts = testid, 0, False, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in VOID
        elif not self.found and dict(attrs).get("data-testid") == self.testid:
            self.found = True
            self.depth = 0 if tag in VOID else 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


class Shopper:
    def __init__(self, client, session_id: str):
        self.client, self.session_id = client, session_id
        self.base = f"/checkout/{session_id}"
        self.page = None

    def open(self, path: str = "", **query):
        self.page = self.client.get(self.base + path, query_string=query)
        return self.page

    @property
    def html(self) -> str:
        return self.page.get_data(as_text=True)

    def has(self, testid: str) -> bool:
        return f'data-testid="{testid}"' in self.html

    def text(self, testid: str) -> str:
        parser = _TestidText(testid)
        parser.feed(self.html)
        assert parser.found, f"no {testid} on the page"
        return re.sub(r"\s+", " ", "".join(parser.parts)).strip()

    def post(self, action: str, follow=True, **form):
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.html).group(1)
        response = self.client.post(f"{self.base}/{action}", data={"csrf_token": token, **form})
        if follow and response.status_code == 303 and response.location.startswith(self.base):
            self.open(response.location[len(self.base) :])
            return self.page
        return response

    def verify(self):
        self.open()
        assert self.has("otp-code"), "not on the verify step"
        code = re.search(r'data-testid="otp-code">(\d{4})<', self.html).group(1)
        return self.post("verify", code=code)


@pytest.fixture
def sandbox_shopper(sandbox_client):
    return lambda session_id: Shopper(sandbox_client, session_id)


# --- A real webhook receiver -------------------------------------------------------------------


def _json_or_none(body: bytes):
    try:
        return json.loads(body or b"null")
    except ValueError:  # an edited trigger body may be anything
        return None


class Receiver:
    """A tiny WSGI server that records each POST; `script` sets the next answers as
    (status, delay), the delay in seconds or a threading.Event to wait for."""

    def __init__(self):
        self.received: list[dict] = []
        self.answered = 0
        self.script: list[tuple[int, float]] = []
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        with self.lock:
            status, delay = self.script.pop(0) if self.script else (200, 0)
            self.received.append(
                {
                    "path": environ["PATH_INFO"],
                    "headers": {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
                    | {"Content-Type": environ.get("CONTENT_TYPE")},
                    "json": _json_or_none(body),
                    "raw": body,
                    "at": time.monotonic(),
                }
            )
        delay.wait(5) if isinstance(delay, threading.Event) else time.sleep(delay)
        with self.lock:
            self.answered += 1
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"ok"]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.received) >= count, f"{len(self.received)} webhooks received, expected {count}"
        return self.received

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def sandbox_receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def sandbox_live_app(sandbox_config, sandbox_receiver):
    """The sandbox with its worker on, sending to `sandbox_receiver`."""
    app = create_app(
        {
            **sandbox_config,
            "SANDBOX_WEBHOOK_WORKER": True,
            "SANDBOX_WEBHOOK_URL_OVERRIDE": sandbox_receiver.url + "/webhooks/points",
            "SANDBOX_WEBHOOK_TIMEOUT": 0.3,
        }
    )
    yield app
    _stop(app)
