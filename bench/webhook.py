"""How fast the shop answers a Points webhook (points-decisions.md: "within a few milliseconds").

Creates 2×N pending orders in a throwaway SQLite database (or DATABASE_URL), then sends each a
verified `approved` webhook, one at a time: N through Flask's test client (the handler's own
time) and N over HTTP to the shop served on a free loopback port (werkzeug's development server).
Prints the median, 95th percentile and worst time of each. Bounded: 2×N requests, then it stops.

    python bench/webhook.py [N]

``bench/pages.py`` runs the in-process half (``in_process_timings``) for its table.
"""
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import requests
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storefront import create_app  # noqa: E402
from storefront.extensions import db  # noqa: E402
from storefront.models import Order, OrderLine  # noqa: E402

SECRET = "whsec_bench"
HEADERS = {"Content-Type": "application/json", "X-Webhook-Secret": SECRET, "X-Webhook-Event": "approved"}


def shop_with_pending_orders(count: int, url: str):
    """A shop over ``url`` holding ``count`` orders awaiting payment, BENCH-000000 onwards."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "POINTS_API_URL": "http://points.invalid/api",
                      "POINTS_DEMO_MODE": False, "POINTS_WEBHOOK_SECRET": SECRET})
    with app.app_context():
        for n in range(count):
            order = Order(order_number=f"BENCH-{n:06d}", customer_name="Bench", phone="500000001", city="Riyadh",
                          address_line="1 Rd", subtotal=Decimal("79.00"), shipping_amount=Decimal("25.00"),
                          total=Decimal("104.00"))
            order.lines.append(OrderLine(product_name="Sukkari Dates Box", unit_price=Decimal("79.00"), quantity=1))
            db.session.add(order)
        db.session.commit()
    return app


def in_process_timings(count: int, folder: str) -> list[float]:
    """Milliseconds to answer each of ``count`` approved webhooks, through Flask's test client, on SQLite."""
    app = shop_with_pending_orders(count, f"sqlite:///{folder}/webhook-bench.db")
    client = app.test_client()
    return [timed(lambda body: client.post("/webhooks/points", data=body, headers=HEADERS), n) for n in range(count)]


def main(count: int) -> None:
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    app = shop_with_pending_orders(2 * count, url)
    client = app.test_client()
    report("in-process (Flask test client)", url, [
        timed(lambda body: client.post("/webhooks/points", data=body, headers=HEADERS), n) for n in range(count)])

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}/webhooks/points"
    session = requests.Session()
    report("over HTTP on loopback", url, [
        timed(lambda body: session.post(endpoint, data=body, headers=HEADERS, timeout=10), n)
        for n in range(count, 2 * count)])
    server.shutdown()


def timed(send, n: int) -> float:
    body = json.dumps({"event": "approved", "timestamp": "2026-11-26T10:00:00.000000Z", "order": {
        "id": f"00000000-0000-4000-8000-{n:012d}", "order_number": f"BENCH-{n:06d}", "order_status": "approved",
        "total_price": 104.0, "updated_at": "2026-11-26T10:00:00.000000Z"}})
    started = time.perf_counter()
    response = send(body)
    elapsed = (time.perf_counter() - started) * 1000
    status = response.status_code
    payload = response.json() if callable(response.json) else response.json  # requests vs Flask
    outcome = payload["outcome"]
    assert status == 200 and outcome == "applied", (status, outcome)
    return elapsed


def report(how: str, url: str, timings: list[float]) -> None:
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"{len(timings)} approved webhooks, {how}, {url.split(':')[0]}: median {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms, worst {timings[-1]:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
