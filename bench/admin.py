"""How fast the back office answers at the size of a shop that has run for a year.

    python bench/admin.py [--orders 100000] [--receipts 300000] [--calls 200000] [--runs 40]
    scripts/with-postgres python bench/admin.py          # the same on a throwaway PostgreSQL

Seeds a throwaway database (SQLite in a temporary folder, or the PostgreSQL of DATABASE_URL,
which it empties first) with that many orders, webhook receipts and calls to Points, in bulk;
then asks for every admin page through Flask's test client, logged in as staff, ``--runs`` times
each after a warm-up, and prints per page the median and 95th percentile of the wall time, of the
process's CPU time (what the page costs, whatever else the machine is doing: on a loaded machine
the wall time mostly measures the wait for a core), and of the time spent in the database.
Budget: every page's p95 under 20 ms, CPU time (wall time too on an idle machine). Exit status 1
if one misses it. bench/README.md has the latest figures.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from storefront import create_app
from storefront.admin.auth import start_staff_session
from storefront.extensions import db
from storefront.models import AdminUser, Order, PointsApiCall, WebhookReceipt, utcnow

BUDGET_MS = 20.0
CHUNK = 10_000
# A year's statuses: most paid, a few waiting, a few to review.
STATUSES = [("paid", 80), ("cancelled", 10), ("pending_payment", 3), ("authorized", 1), ("needs_review", 2)]
STATUSES += [("fully_refunded", 2), ("partially_refunded", 2)]
BODY = '{"event": "approved", "order": {"id": "x", "order_number": "PTS-2026-000000", "order_status": "approved"}}' * 4


def seed(orders: int, receipts: int, calls: int) -> None:
    rng = random.Random(7)
    now = utcnow()
    start = now - timedelta(days=365)
    step = timedelta(days=365) / orders
    weights = [w for _, w in STATUSES]
    names = [s for s, _ in STATUSES]
    order_table, receipt_table, call_table = Order.__table__, WebhookReceipt.__table__, PointsApiCall.__table__
    for first in range(1, orders + 1, CHUNK):
        rows = []
        for n in range(first, min(first + CHUNK, orders + 1)):
            created = start + step * n
            rows.append(
                dict(
                    id=n,
                    order_number=f"PTS-2026-{n:06d}",
                    token=f"tok{n:012d}",
                    status=rng.choices(names, weights)[0],
                    cart_fingerprint="",
                    customer_name="Sara",
                    phone="500000001",
                    city="Riyadh",
                    address_line="King Fahd Rd 1",
                    locale="ar",
                    subtotal=Decimal("100.00"),
                    shipping_amount=Decimal("25.00"),
                    total=Decimal("125.00"),
                    refunded_amount=Decimal("0.00"),
                    points_uuid=f"0b6f6c1e-0000-4000-8000-{n:012d}",
                    points_reference_number=f"REF-2026-{n:07d}",
                    created_at=created,
                    updated_at=created,
                )
            )
        db.session.execute(order_table.insert(), rows)
        db.session.commit()
    for first in range(1, receipts + 1, CHUNK):
        rows = []
        for n in range(first, min(first + CHUNK, receipts + 1)):
            ours = n % 3 != 0  # two in three about an order of ours (applied, or a duplicate)
            order_id = rng.randint(1, orders) if ours else None
            outcome = (
                ("applied" if n % 2 else "duplicate")
                if ours
                else rng.choice(["not_ours"] * 8 + ["unknown_order", "merchant_event"])
            )
            rows.append(
                dict(
                    received_at=start + timedelta(days=365) * n / receipts,
                    order_id=order_id,
                    event="approved" if outcome != "merchant_event" else "low_balance_warning",
                    order_number=f"POS-{n}" if outcome == "not_ours" else None,
                    headers="{}",
                    body=BODY,
                    response_status=404 if outcome == "unknown_order" else 200,
                    outcome=outcome,
                    detail="",
                )
            )
        db.session.execute(receipt_table.insert(), rows)
        db.session.commit()
    for first in range(1, calls + 1, CHUNK):
        rows = []
        for n in range(first, min(first + CHUNK, calls + 1)):
            at = start + timedelta(days=365) * n / calls
            status = rng.choices([200, 400, 422, 429, 503, None], [90, 2, 2, 3, 2, 1])[0]
            rows.append(
                dict(
                    order_id=rng.randint(1, orders) if n % 10 else None,
                    created_at=at,
                    method="GET",
                    path="/v1/orders/0b6f6c1e-0000-4000-8000-000000000001",
                    endpoint="GET /v1/orders/{uuid}",
                    response_status=status,
                    error=None if status == 200 else ("timeout: no answer" if status is None else "rejected"),
                    duration_ms=80,
                )
            )
        db.session.execute(call_table.insert(), rows)
        db.session.commit()
    # The last hour, as the health page reads it: a few hundred calls.
    db.session.execute(
        call_table.insert(),
        [
            dict(
                order_id=rng.randint(1, orders),
                created_at=now - timedelta(seconds=10 * n),
                method="GET",
                path="/x",
                endpoint="GET /v1/orders/{uuid}",
                response_status=rng.choice([200, 200, 200, 429]),
            )
            for n in range(300)
        ],
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders))"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def pages(orders: int) -> list[tuple[str, str]]:
    middle = orders // 2
    return [
        ("Orders, newest", "/admin/orders"),
        ("Orders, status paid", "/admin/orders?status=paid"),
        ("Orders, status needs review", "/admin/orders?status=needs_review"),
        ("Orders, half-way back (keyset)", f"/admin/orders?older={middle}"),
        ("Orders, paid, half-way back", f"/admin/orders?status=paid&older={middle}"),
        ("Search, exact order number", f"/admin/orders?q=PTS-2026-{middle:06d}"),
        ("Search, bare number", f"/admin/orders?q={middle}"),
        ("Search, order number prefix", f"/admin/orders?q=PTS-2026-{middle // 100:04d}"),
        ("Search, Points reference", f"/admin/orders?q=REF-2026-{middle:07d}"),
        ("Search, no match", "/admin/orders?q=NOPE-1"),
        ("Orders behind a figure (429, last hour)", "/admin/orders?call=429"),
        ("One order", f"/admin/orders/PTS-2026-{middle:06d}"),
        ("Webhooks, newest", "/admin/webhooks"),
        ("Webhooks, not ours", "/admin/webhooks?outcome=not_ours"),
        ("Webhooks, half-way back", f"/admin/webhooks?older={orders}"),
        ("Health", "/admin/health"),
    ]


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--receipts", type=int, default=300_000)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="bench-admin-")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{folder}/shop.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "POINTS_API_URL": "http://points.invalid/api",
            "POINTS_DEMO_MODE": False,
            "SECRET_KEY": "bench-secret-key",
        }
    )
    started = time.monotonic()
    with app.app_context():
        seed(args.orders, args.receipts, args.calls)
        user = AdminUser(email="bench@example.test", password_hash="-")
        db.session.add(user)
        db.session.commit()
        dialect = db.engine.dialect.name
    print(
        f"{dialect}: seeded {args.orders:,} orders, {args.receipts:,} webhook receipts, "
        f"{args.calls:,} calls in {time.monotonic() - started:.0f} s"
    )
    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(sa.select(AdminUser))
        with client.session_transaction() as session:
            start_staff_session(session, user)

    in_database = [0.0]

    with app.app_context():

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def started_query(conn, cursor, statement, parameters, context, executemany):
            context.bench_started = time.perf_counter()

        @sa.event.listens_for(db.engine, "after_cursor_execute")
        def ended_query(conn, cursor, statement, parameters, context, executemany):
            in_database[0] += time.perf_counter() - context.bench_started

    rows, missed = [], []
    for label, path in pages(args.orders):
        for _ in range(5):
            assert client.get(path).status_code == 200, path
        wall, cpu, database = [], [], []
        for _ in range(args.runs):
            in_database[0] = 0.0
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(path)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            database.append(in_database[0] * 1000)
            assert response.status_code == 200, path
        row = (label, *(f(times) for times in (wall, cpu, database) for f in (statistics.median, p95)))
        rows.append(row)
        if row[4] > BUDGET_MS:
            missed.append(label)
    print(
        f"\n| Page ({dialect}) | wall median | wall p95 | CPU median | CPU p95 | database median | database p95 |"
        "\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for label, *figures in rows:
        print(
            f"| {label} | " + " | ".join(f"{ms:.1f}" for ms in figures) + (" ⚠ |" if figures[3] > BUDGET_MS else " |")
        )
    print("(milliseconds per request)")
    if missed:
        print(f"\nOver the {BUDGET_MS:g} ms budget: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
