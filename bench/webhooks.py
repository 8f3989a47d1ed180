"""How the shop takes a burst of Points webhooks: throughput, latency, and not one change lost or doubled.

A script, not a test. For each database (SQLite with WAL, PostgreSQL) it:

1. makes a throwaway database with ORDERS pending orders (104.00 each);
2. serves the shop with gunicorn (gthread workers) on a free loopback port;
3. sends, from SENDERS threads at once, each order's approved, two partial refunds (left_amount
   94.00 then 79.00) and a shipping update, every one of them twice (half the deliveries are
   redeliveries), all shuffled, so events for one order and their duplicates overlap;
4. stops the server and checks the database: every order partially refunded by exactly 25.00,
   shipped, each event processed once, each change once;
5. times the handler alone, in process (Flask's test client), one approved webhook at a time
   (points-decisions.md "Speed": a few milliseconds).

Then it prints the machine and one table. Only loopback traffic; bounded (a fixed number of
requests, a timeout on each); it stops by itself.

    python bench/webhooks.py                    # SQLite, then PostgreSQL through scripts/with-postgres
    python bench/webhooks.py --db sqlite --orders 50
    python bench/webhooks.py --same-second      # every event of an order stamped in one second

PostgreSQL: with DATABASE_URL=postgresql+psycopg://... set, a scratch database is made on that
server (and dropped afterwards); otherwise the script runs itself under scripts/with-postgres.
"""

import argparse
import json
import logging
import os
import platform
import queue
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # points_webhooks: the documented webhook bodies the tests build

import requests
import sqlalchemy as sa
from points_webhooks import order_event, points_order

from storefront import create_app
from storefront.extensions import db
from storefront.models import Order, OrderLine, OrderTransition, Product, WebhookReceipt

SECRET = "whsec_bench_only"
POINTS_API_URL = "http://points.invalid/api"  # never called: webhooks need no call to Points
TOTAL = Decimal("104.00")  # one Sukkari Dates Box (79.00) + 25.00 shipping
LEFTS = (Decimal("94.00"), Decimal("79.00"))  # after the first and the second partial refund
SHIPPED = "ready_shipping"
REQUEST_TIMEOUT = 30


# --- The database ---------------------------------------------------------------------------------


def make_orders(url: str, count: int) -> list[tuple[str, str]]:
    """Tables, catalogue and ``count`` pending orders; returns [(order_number, Points uuid)]."""
    app = shop_app(url)
    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.slug == "sukkari-dates"))
        orders = []
        for n in range(1, count + 1):
            order = Order(
                order_number=f"PTS-2026-{n:06d}",
                status="pending_payment",
                customer_name="Bench",
                phone="500000001",
                city="Riyadh",
                address_line="1 Rd",
                subtotal=product.price,
                shipping_amount=Decimal("25.00"),
                total=product.price + Decimal("25.00"),
            )
            order.lines.append(
                OrderLine(product_id=product.id, product_name=product.name, unit_price=product.price, quantity=1)
            )
            order.transitions.append(OrderTransition(from_status=None, to_status="pending_payment", source="checkout"))
            db.session.add(order)
            orders.append(order)
        db.session.commit()
        assert all(o.total == TOTAL for o in orders)
        result = [(o.order_number, f"0b8a3f4e-3333-4000-8000-{o.id:012d}") for o in orders]
        db.engine.dispose()
    return result


def shop_app(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "POINTS_API_URL": POINTS_API_URL,
            "POINTS_DEMO_MODE": False,
            "POINTS_WEBHOOK_SECRET": SECRET,
            "SECRET_KEY": "bench-only",
        }
    )


def scratch_postgres(url: str, name: str) -> str:
    """A fresh database ``name`` on the server of ``url`` (dropped first if it exists)."""
    base = sa.engine.make_url(url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


# --- The deliveries -------------------------------------------------------------------------------


def webhook(event: str, order_number: str, uuid: str, second: int, **extra) -> dict:
    """An order event in the documented shape (tests/points_webhooks.py), stamped to the second."""
    stamp = f"2026-04-18T10:05:{second:02d}.000000Z"
    order_status = extra.pop("order_status", event)
    return order_event(
        event,
        points_order(
            order_number, uuid=uuid, order_status=order_status, total_price=float(TOTAL), updated_at=stamp, **extra
        ),
    )


def deliveries(orders, *, same_second: bool, seed: int) -> list[bytes]:
    """Every order's four events, each twice, shuffled."""
    bodies = []
    for number, uuid in orders:
        second = (lambda n: 0) if same_second else (lambda n: n)
        events = [webhook("approved", number, uuid, second(0))]
        before = TOTAL
        for n, left in enumerate(LEFTS, start=1):
            events.append(
                webhook(
                    "refunded",
                    number,
                    uuid,
                    second(n),
                    order_status="partially_refunded",
                    refund_amount=float(before - left),
                    left_amount=float(left),
                    reason="Returned",
                )
            )
            before = left
        events.append(
            webhook(
                "shipping_status_updated",
                number,
                uuid,
                second(3),
                order_status="partially_refunded",
                status=SHIPPED,
                status_label="Ready for shipping",
            )
        )
        bodies += [json.dumps(e).encode() for e in events] * 2
    random.Random(seed).shuffle(bodies)
    return bodies


def send_all(endpoint: str, bodies: list[bytes], senders: int) -> dict:
    """POST every body from ``senders`` threads; latencies in ms, status codes, wall time."""
    work: queue.Queue = queue.Queue()
    for body in bodies:
        work.put(body)
    latencies, statuses, lock = [], Counter(), threading.Lock()
    start = threading.Barrier(senders + 1)

    def sender():
        with requests.Session() as session:
            start.wait()
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                event = json.loads(body)["event"]
                headers = {"Content-Type": "application/json", "X-Webhook-Secret": SECRET, "X-Webhook-Event": event}
                began = time.perf_counter()
                try:
                    status = session.post(endpoint, data=body, headers=headers, timeout=REQUEST_TIMEOUT).status_code
                except requests.RequestException as error:
                    status = type(error).__name__
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] += 1

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * len(bodies))
    return {"seconds": time.perf_counter() - began, "latencies": latencies, "statuses": statuses}


def check(url: str, orders) -> dict:
    """Read the database after the burst: what was lost, what was doubled, which orders end wrong."""
    engine = sa.create_engine(url)
    lost_events = doubled_events = lost_changes = doubled_changes = wrong = 0
    with engine.connect() as conn:
        for number, _uuid in orders:
            order = conn.execute(
                sa.select(Order.id, Order.status, Order.refunded_amount, Order.shipping_status).where(
                    Order.order_number == number
                )
            ).one()
            moves = Counter(
                conn.scalars(sa.select(OrderTransition.to_status).where(OrderTransition.order_id == order.id)).all()
            )
            processed = Counter()
            for body, outcome in conn.execute(
                sa.select(WebhookReceipt.body, WebhookReceipt.outcome).where(WebhookReceipt.order_id == order.id)
            ):
                if outcome != "duplicate":
                    sent = json.loads(body)
                    processed[(sent["event"], sent["order"].get("left_amount"))] += 1
            expected_events = [
                ("approved", None),
                ("refunded", float(LEFTS[0])),
                ("refunded", float(LEFTS[1])),
                ("shipping_status_updated", None),
            ]
            lost_events += sum(1 for e in expected_events if processed[e] == 0)
            doubled_events += sum(processed[e] - 1 for e in expected_events if processed[e] > 1)
            # Each change once: two partial refunds; paid at most once (not at all if a refund came first).
            lost_changes += max(0, 2 - moves["partially_refunded"])
            doubled_changes += max(0, moves["partially_refunded"] - 2) + max(0, moves["paid"] - 1)
            end = (order.status, Decimal(order.refunded_amount), order.shipping_status)
            wrong += end != ("partially_refunded", TOTAL - LEFTS[-1], SHIPPED) or bool(
                set(moves) - {"pending_payment", "paid", "partially_refunded"}
            )
    engine.dispose()
    return {"lost": [lost_events, lost_changes], "doubled": [doubled_events, doubled_changes], "wrong_orders": wrong}


# --- Serving --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn wsgi:app`` with gthread workers on a free loopback port; stopped by its own pid."""

    def __init__(self, url: str, workers: int, threads: int, log, *, env=None, app="wsgi:app", ready="/", port=None):
        self.port = port or free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "POINTS_API_URL": POINTS_API_URL,
            "POINTS_WEBHOOK_SECRET": SECRET,
            "SECRET_KEY": "bench-only",
            "PYTHONDONTWRITEBYTECODE": "1",
            **(env or {}),
        }
        env.pop("PRODUCTION", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--chdir",
                str(REPO),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                "--log-level",
                "warning",
                "--graceful-timeout",
                "5",
                app,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + ready, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start; see {log.name}")
            time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def in_process_ms(url: str, count: int) -> list[float]:
    """The handler alone: ``count`` approved webhooks through Flask's test client, one at a time."""
    orders = make_orders(url, count)
    app = shop_app(url)
    client = app.test_client()
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": SECRET, "X-Webhook-Event": "approved"}
    timings = []
    for number, uuid in orders:  # each request in its own app context, as in production
        body = json.dumps(webhook("approved", number, uuid, 0))
        began = time.perf_counter()
        response = client.post("/webhooks/points", data=body, headers=headers)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200 and response.get_json()["outcome"] == "applied", response.get_json()
    with app.app_context():
        db.engine.dispose()
    return timings


# --- The mixed load: the demo under gunicorn, shoppers browsing, filling carts, pressing Pay ------


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CUSTOMER = {"phone": "0500000001", "name": "Bench Shopper", "city": "Riyadh", "address_line": "King Fahd Rd 1"}
SLUGS = ("sukkari-dates", "ajwa-dates", "rose-water", "finjan-set", "cardamom-blend")
PRESSES = 20  # shoppers pressing Pay at the same instant, round after round


def with_mixed_load(url: str, args, folder: Path, log, bodies) -> tuple[dict, dict]:
    """The README's demo under gunicorn (the sandbox in a server of its own, the shop pointed at it),
    the webhook storm sent while shoppers browse, fill carts and press Pay twenty at a time."""
    limits = {"CHECKOUT_LIMIT_PER_ADDRESS": "100000", "CHECKOUT_LIMIT_PER_CART": "100000"}
    shop_port = free_port()
    sandbox = Gunicorn(
        url,
        1,
        8,
        log,
        env={
            "POINTS_SANDBOX_DATABASE_URL": f"sqlite:///{folder / 'points_sandbox.db'}",
            "POINTS_SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{shop_port}/webhooks/points",
            "POINTS_SANDBOX_WEBHOOK_SECRET": SECRET,
        },
        app="points_sandbox:create_app()",
        ready="/_control/",
    )
    try:
        shop = Gunicorn(
            url, args.workers, args.threads, log, env={"POINTS_API_URL": sandbox.url + "/api", **limits}, port=shop_port
        )
        try:
            stop = threading.Event()
            load = {"pages": [], "pay": [], "errors": Counter()}
            workers = [threading.Thread(target=browse, args=(shop.url, stop, load), daemon=True) for _ in range(4)]
            workers += [threading.Thread(target=fill_carts, args=(shop.url, stop, load), daemon=True) for _ in range(2)]
            workers.append(threading.Thread(target=press_pay_in_rounds, args=(shop.url, stop, load), daemon=True))
            for worker in workers:
                worker.start()
            time.sleep(1)  # the load is running before the first webhook
            sent = send_all(shop.url + "/webhooks/points", bodies, args.senders)
            stop.set()
            for worker in workers:
                worker.join(timeout=REQUEST_TIMEOUT + 5)
        finally:
            shop.stop()
    finally:
        sandbox.stop()
    pages, pay = sorted(load["pages"]), sorted(load["pay"])
    return sent, {
        "page_requests": len(pages),
        "page_p99": percentile(pages, 0.99),
        "pay_presses": len(pay),
        "pay_p99": percentile(pay, 0.99),
        "load_errors": dict(load["errors"]),
    }


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


def timed(load: dict, key: str, call, expected: int):
    began = time.perf_counter()
    try:
        response = call()
        status = response.status_code
    except requests.RequestException as error:
        response, status = None, type(error).__name__
    load[key].append((time.perf_counter() - began) * 1000)
    if status != expected:
        load["errors"][f"{key} {status}"] += 1
    return response


def browse(base: str, stop: threading.Event, load: dict) -> None:
    with requests.Session() as shopper:
        n = 0
        while not stop.is_set():
            n += 1
            url = base + ("/" if n % 3 == 0 else f"/products/{SLUGS[n % len(SLUGS)]}")
            timed(load, "pages", lambda url=url: shopper.get(url, timeout=REQUEST_TIMEOUT), 200)


def csrf_of(shopper, url: str, load: dict) -> str:
    page = timed(load, "pages", lambda: shopper.get(url, timeout=REQUEST_TIMEOUT), 200)
    match = page is not None and CSRF.search(page.text)
    return match.group(1) if match else ""


def add_to_cart(base: str, shopper, slug: str, load: dict) -> None:
    token = csrf_of(shopper, f"{base}/products/{slug}", load)
    form = {"quantity": 1, "csrf_token": token}
    timed(
        load,
        "pages",
        lambda: shopper.post(f"{base}/products/{slug}", data=form, allow_redirects=False, timeout=REQUEST_TIMEOUT),
        302,
    )


def fill_carts(base: str, stop: threading.Event, load: dict) -> None:
    n = 0
    while not stop.is_set():
        with requests.Session() as shopper:
            for slug in SLUGS[n % 2 :: 2]:
                add_to_cart(base, shopper, slug, load)
            timed(load, "pages", lambda: shopper.get(base + "/cart", timeout=REQUEST_TIMEOUT), 200)
        n += 1


def press_pay_in_rounds(base: str, stop: threading.Event, load: dict) -> None:
    """Twenty new shoppers with a cart each press Pay at the same instant; again until stopped."""
    rounds = 0
    while not stop.is_set():
        rounds += 1
        shoppers = []
        for i in range(PRESSES):
            shopper = requests.Session()
            add_to_cart(base, shopper, SLUGS[i % len(SLUGS)], load)
            shoppers.append((shopper, {**CUSTOMER, "csrf_token": csrf_of(shopper, base + "/checkout", load)}))
        start = threading.Barrier(PRESSES)

        def press(shopper, form, start=start):
            start.wait()
            call = lambda: shopper.post(base + "/checkout", data=form, allow_redirects=False, timeout=REQUEST_TIMEOUT)  # noqa: E731
            timed(load, "pay", call, 303)

        presses = [threading.Thread(target=press, args=pair) for pair in shoppers]
        for thread in presses:
            thread.start()
        for thread in presses:
            thread.join()
        for shopper, _ in shoppers:
            shopper.close()


# --- One database, end to end ---------------------------------------------------------------------


def run(kind: str, url: str, args, folder: Path) -> dict:
    orders = make_orders(url, args.orders)
    bodies = deliveries(orders, same_second=args.same_second, seed=args.seed)
    mixed = {}
    with open(folder / f"gunicorn-{kind}.log", "w") as log:
        if args.mixed:
            sent, mixed = with_mixed_load(url, args, folder, log, bodies)
        else:
            server = Gunicorn(url, args.workers, args.threads, log)
            try:
                sent = send_all(server.url + "/webhooks/points", bodies, args.senders)
            finally:
                server.stop()
    verdict = check(url, orders)
    latencies = sorted(sent["latencies"])
    return {
        "database": kind,
        "deliveries": len(bodies),
        "per_second": len(bodies) / sent["seconds"],
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "statuses": {str(k): v for k, v in sent["statuses"].items()},
        **mixed,
        **verdict,
        "in_process_median": statistics.median(in_process_ms(in_process_url(kind, url, folder), args.in_process)),
    }


def in_process_url(kind: str, url: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'in-process.db'}"
    return scratch_postgres(url, sa.engine.make_url(url).database + "_inproc")


def run_sqlite(args) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    try:
        return run("sqlite", f"sqlite:///{folder / 'shop.db'}", args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_postgres(args) -> dict:
    server_url = os.environ["DATABASE_URL"]
    url = scratch_postgres(server_url, f"storefront_bench_{os.getpid()}")
    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    try:
        result = run("postgresql", url, args, folder)
        result["server"] = postgres_version(url)
        return result
    finally:
        drop_postgres(url)
        drop_postgres(
            sa.engine.make_url(url)
            .set(database=sa.engine.make_url(url).database + "_inproc")
            .render_as_string(hide_password=False)
        )
        shutil.rmtree(folder, ignore_errors=True)


def postgres_version(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        version = conn.scalar(sa.text("SHOW server_version"))
    engine.dispose()
    return version


def postgres_in_child(args) -> dict:
    """Run the PostgreSQL half under scripts/with-postgres (a throwaway cluster) and read its result."""
    command = [
        str(REPO / "scripts" / "with-postgres"),
        sys.executable,
        str(Path(__file__).resolve()),
        "--db",
        "postgresql",
        "--json",
        *forwarded(args),
    ]
    done = subprocess.run(command, check=False, stdout=subprocess.PIPE, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the PostgreSQL run failed (exit {done.returncode})")
    return json.loads(lines[-1])


def forwarded(args) -> list[str]:
    out = [
        "--orders",
        str(args.orders),
        "--senders",
        str(args.senders),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--seed",
        str(args.seed),
        "--in-process",
        str(args.in_process),
    ]
    return out + (["--same-second"] if args.same_second else []) + (["--mixed"] if args.mixed else [])


# --- Report ---------------------------------------------------------------------------------------


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    gunicorn = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--version"], check=False, capture_output=True, text=True
    )
    return (
        f"Machine: {len(os.sched_getaffinity(0))} CPUs (nproc), {model}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; {(gunicorn.stdout or gunicorn.stderr).strip()}; "
        f"load average {load_average()} (other work on the machine skews the timings, not the counts)"
    )


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def table(results: list[dict], args) -> str:
    head = (
        "| Database | Deliveries (half redeliveries) | Deliveries/s | p50 ms | p99 ms | Answers | "
        "Lost events / changes | Doubled events / changes | Orders ending wrong | In-process median ms |"
    )
    rows = [head, "|" + " --- |" * (head.count("|") - 1)]
    mixed = [
        "",
        "Meanwhile (the demo under gunicorn, the sandbox in its own server): 4 shoppers browsing, 2 filling "
        f"carts, {PRESSES} new shoppers pressing Pay at one instant, round after round.",
        "",
        "| Database | Page and cart requests | their p99 ms | Pay presses | Pay p99 ms | Unexpected answers |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
        name = r["database"] + (f" {r['server']}" if r.get("server") else " (WAL)")
        rows.append(
            f"| {name} | {r['deliveries']} | {r['per_second']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{answers} | {r['lost'][0]} / {r['lost'][1]} | {r['doubled'][0]} / {r['doubled'][1]} | {r['wrong_orders']} | {r['in_process_median']:.1f} |"
        )
        if "pay_presses" in r:
            mixed.append(
                f"| {name} | {r['page_requests']} | {r['page_p99']:.1f} | {r['pay_presses']} | {r['pay_p99']:.1f} | "
                + (", ".join(f"{k}: {v}" for k, v in sorted(r["load_errors"].items())) or "none")
                + " |"
            )
    stamps = "one second per order" if args.same_second else "one second per event"
    setup = (
        f"{args.orders} orders x (approved + 2 partial refunds + shipping update), each sent twice, shuffled; "
        f"{args.senders} senders; gunicorn {args.workers} gthread workers x {args.threads} threads; "
        f"updated_at {stamps}; in-process: {args.in_process} approved webhooks one at a time."
    )
    return "\n".join([setup, "", *rows, *(mixed if args.mixed else [])])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--workers", type=int, default=max(2, len(os.sched_getaffinity(0))))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--in-process", type=int, default=300, help="approved webhooks timed in process")
    parser.add_argument("--same-second", action="store_true", help="stamp every event of an order in one second")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="the demo under gunicorn (sandbox in its own server) while shoppers browse, fill carts and press Pay 20 at once",
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the PostgreSQL child's answer
    args = parser.parse_args()
    if not (1 <= args.orders <= 10_000 and 1 <= args.senders <= 64 and 1 <= args.in_process <= 10_000):
        parser.error("keep it bounded: 1-10000 orders, 1-64 senders, 1-10000 in-process webhooks")

    # The shop logs every webhook (INFO), as it does in production: to a file here, not the terminal.
    logs = Path(tempfile.mkdtemp(prefix="bench-webhooks-logs-"))
    logging.basicConfig(level=logging.INFO, filename=logs / "in-process.log")
    results = []
    if args.db in ("both", "sqlite"):
        results.append(run_sqlite(args))
    if args.db in ("both", "postgresql"):
        on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgresql")
        results.append(run_postgres(args) if on_postgres else postgres_in_child(args))
    if args.json:
        print(json.dumps(results[-1]))
        return 0
    print(machine())
    print(table(results, args))
    bad = sum(sum(r["lost"]) + sum(r["doubled"]) + r["wrong_orders"] for r in results)
    shutil.rmtree(logs, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
