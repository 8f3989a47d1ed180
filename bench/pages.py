"""How fast and how heavy the shop's pages are, side by side with a bare Flask "hello".

    python bench/pages.py [--seconds 5] [--only WORD] [--no-weight] [--no-webhook]

1. Throughput. The shop and ``bench/hello.py`` are each served by gunicorn (2 sync workers,
   loopback, same settings). ``wrk`` loads a page for one second, then hello for one second,
   ``--seconds`` times; the figure is the median of those turns' ratios (page ÷ hello), so a
   burst of load elsewhere spoils a turn, not the figure. Also the workers' CPU per request.
   Budgets: catalogue and product pages >= 0.5, cart and checkout >= 0.35.
2. Page weight. Headless Chromium opens the catalogue, then reloads it with its cache, and sums
   the bytes transferred (headers included). Budgets: first load < 200 KB, reload < 20 KB, and
   no request to another origin.
3. The webhook: median time to answer an ``approved`` webhook in-process on SQLite (< 5 ms).

Everything runs on 127.0.0.1 over throwaway SQLite databases in a temporary folder, and stops by
itself (about 1.5 minutes at the default 5 turns). Exit status 1 if a budget is missed. Needs
``wrk`` (apt-get install wrk), gunicorn, and for the page weight Playwright with Chromium
(CHROMIUM_PATH, default /usr/bin/chromium). bench/README.md has the latest figures.
"""

import argparse
import logging
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # chromium: how the tests launch Debian's Chromium

from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

WORKERS = 2
WRK = ["wrk", "--threads", "1", "--connections", "4"]
BIG_CATALOGUE = 1000
# A product page and a cart, with what a shopper adds before the cart and checkout pages.
PRODUCT = "sukkari-dates"
CART = [("sukkari-dates", 2), ("dallah-brass", 1)]


@dataclass
class Page:
    label: str
    shop: str  # "demo" (the 16 demo products) or "big" (the 1,000-product fixture)
    path: str
    budget: float | None  # at least this ratio to bare hello; None: reported, no budget
    # Whose requests: None, a first visit (no cookie); "browsing", a shopper whose session began
    # on an earlier page (their add-to-cart CSRF token), cart empty; "with a cart", one with CART.
    shopper: str | None = None


PAGES = [
    Page("Catalogue", "demo", "/", 0.5),
    Page("Catalogue, shopper with a cart", "demo", "/", 0.5, shopper="with a cart"),
    Page(f"Catalogue, {BIG_CATALOGUE:,} products, page 1", "big", "/", 0.5),
    Page(f"Catalogue, {BIG_CATALOGUE:,} products, page 21", "big", "/?page=21", 0.5),
    Page("Product page, first visit (starts the session)", "demo", f"/products/{PRODUCT}", 0.45),
    Page("Product page, shopper browsing", "demo", f"/products/{PRODUCT}", 0.5, shopper="browsing"),
    Page("Cart (2 lines)", "demo", "/cart", 0.35, shopper="with a cart"),
    Page("Checkout form", "demo", "/checkout", 0.35, shopper="with a cart"),
    # Every request a cart no page has shown yet (2 lines): the cart page rendered afresh each time.
    Page("Cart, a new cart each request (first render)", "demo", "/cart", None, shopper="new carts"),
]
NEW_CARTS = 20_000  # more than one run's requests: none is shown twice
WEIGHT_BUDGET = {"first load": 200_000, "reload": 20_000}
WEBHOOK_BUDGET_MS = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="one-second turns per page (default 5)")
    parser.add_argument("--no-weight", action="store_true", help="skip the page weight (no Chromium needed)")
    parser.add_argument("--no-webhook", action="store_true", help="skip the webhook timing")
    parser.add_argument("--only", metavar="WORD", help="only the pages whose label holds WORD (e.g. Cart)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="storefront-bench-") as folder:
        # The shops' log lines go to a file, as a server's would, not into this table.
        logging.basicConfig(filename=f"{folder}/shop.log", level=logging.INFO)
        databases = {
            "demo": make_database(folder, "demo", bench_products=0),
            "big": make_database(folder, "big", bench_products=BIG_CATALOGUE),
        }
        rows, ok = [], True
        with (
            serve(folder, "hello", ["hello:app"], pythonpath=ROOT / "bench") as hello,
            serve(folder, "demo", ["wsgi:app"], env=shop_env(databases["demo"])) as demo,
            serve(folder, "big", ["wsgi:app"], env=shop_env(databases["big"])) as big,
        ):
            shops = {"demo": demo, "big": big}
            cookies = {None: None, "browsing": shopper_browsing(demo.url), "with a cart": shopper_with_a_cart(demo.url)}
            cookies["new carts"] = new_carts(folder, databases["demo"], NEW_CARTS)
            for page in [p for p in PAGES if not args.only or args.only.lower() in p.label.lower()]:
                hello_load, page_load, ratio = side_by_side(
                    hello, shops[page.shop], page.path, args.seconds, cookie=cookies[page.shopper]
                )
                met = page.budget is None or ratio >= page.budget
                ok &= met
                rows.append(
                    (
                        page.label,
                        f"{page_load.requests_per_second:,.0f}",
                        f"{hello_load.requests_per_second:,.0f}",
                        f"**{ratio:.2f}x**",
                        f">= {page.budget}x" if page.budget is not None else "(none)",
                        ("yes" if met else "**NO**") if page.budget is not None else "-",
                        f"{page_load.cpu_us_per_request:,.0f} / {hello_load.cpu_us_per_request:,.0f}",
                    )
                )
            weights = {} if args.no_weight else {name: page_weight(shops[name].url + "/") for name in ("demo", "big")}
        webhook_ms = None if args.no_webhook else webhook_median(folder)

    print(machine())
    print()
    print(
        table(
            ("Page", "req/s", "bare hello req/s", "ratio", "budget", "met", "worker CPU µs/request, page / hello"), rows
        )
    )
    for name, weight in weights.items():
        print()
        label = "demo catalogue (16 products)" if name == "demo" else f"catalogue with {BIG_CATALOGUE:,} products"
        print(f"Page weight, {label}, Chromium 1280×800:")
        print()
        lines = []
        for visit in ("first load", "reload"):
            w = weight[visit]
            met = w["bytes"] < WEIGHT_BUDGET[visit] and not w["other_origins"]
            ok &= met
            lines.append(
                (
                    visit,
                    f"{w['bytes'] / 1000:.1f} KB",
                    str(w["requests"]),
                    str(w["from_cache"]),
                    str(w["not_modified"]),
                    str(len(w["other_origins"])),
                    f"< {WEIGHT_BUDGET[visit] // 1000} KB",
                    "yes" if met else "**NO**",
                )
            )
        print(table(("Visit", "transferred", "requests", "from cache", "304", "other origins", "budget", "met"), lines))
    if webhook_ms is not None:
        met = webhook_ms < WEBHOOK_BUDGET_MS
        ok &= met
        print()
        print(
            f"Webhook (`approved`, in-process, SQLite): median **{webhook_ms:.1f} ms** "
            f"(budget < {WEBHOOK_BUDGET_MS:.0f} ms: {'met' if met else 'NOT met'})"
        )
    return 0 if ok else 1


# --- The databases and the servers --------------------------------------------------------------


def make_database(folder: str, name: str, bench_products: int) -> str:
    """A SQLite file with the demo catalogue, or with ``bench_products`` bench products instead."""
    from storefront import create_app
    from storefront.extensions import db

    url = f"sqlite:///{folder}/{name}.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "POINTS_API_URL": "http://127.0.0.1:9/api"})
    with app.app_context():
        if bench_products:
            replace_with_bench_products(bench_products)
        db.engine.dispose()
    return url


def replace_with_bench_products(count: int) -> None:
    """``count`` products named, sorted and pictured like the demo ones, at varied prices."""
    import sqlalchemy as sa

    from storefront.extensions import db
    from storefront.models import Product

    demo = [(p.name, p.category, p.image) for p in db.session.scalars(sa.select(Product).order_by(Product.position))]
    db.session.execute(sa.delete(Product))
    for n in range(count):
        name, category, image = demo[n % len(demo)]
        db.session.add(
            Product(
                slug=f"bench-{n:04d}",
                name=f"{name} No. {n}",
                category=category,
                description="A bench product.",
                price=Decimal(10 + n % 490) + Decimal("0.50"),
                image=image,
                position=n,
            )
        )
    db.session.commit()


SECRET_KEY = os.urandom(16).hex()  # the shops' (and the new carts' cookies')


def shop_env(database_url: str) -> dict:
    # Not demo mode: the sandbox is not mounted, and no page here calls Points (a closed loopback port).
    return {"DATABASE_URL": database_url, "POINTS_API_URL": "http://127.0.0.1:9/api", "SECRET_KEY": SECRET_KEY}


def new_carts(folder: str, database_url: str, count: int) -> Path:
    """``count`` carts of two lines, no two alike, and a file of their shoppers' Cookie headers
    (the session cookie as the shop signs it), one a line, for wrk to take in turn."""
    import itertools

    import sqlalchemy as sa

    from storefront import create_app
    from storefront.extensions import db
    from storefront.models import Cart, CartLine, Product, new_token
    from storefront.session_cart import CART_SESSION_KEY

    app = create_app({**shop_env(database_url), "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        ids = db.session.scalars(sa.select(Product.id).order_by(Product.id)).all()
        contents = itertools.islice(
            ((a, qa, b, qb) for qa in range(1, 21) for qb in range(1, 21) for a, b in itertools.combinations(ids, 2)),
            count,
        )
        tokens = [new_token() for _ in range(count)]
        db.session.execute(sa.insert(Cart), [{"token": token} for token in tokens])
        cart_ids = dict(db.session.execute(sa.select(Cart.token, Cart.id).where(Cart.token.in_(tokens))).all())
        lines = []
        for token, (a, qa, b, qb) in zip(tokens, list(contents), strict=True):
            lines += [
                {"cart_id": cart_ids[token], "product_id": a, "quantity": qa},
                {"cart_id": cart_ids[token], "product_id": b, "quantity": qb},
            ]
        db.session.execute(sa.insert(CartLine), lines)
        db.session.commit()
        sign = app.session_interface.get_signing_serializer(app).dumps
        path = Path(folder) / "new-cart-cookies.txt"
        path.write_text("".join(f"session={sign({CART_SESSION_KEY: t, '_permanent': True})}\n" for t in tokens))
        db.engine.dispose()
    return path


# wrk takes the Cookie header of each request from the file in turn (new_carts).
ROTATING_COOKIES_LUA = """
local cookies = {}
for line in io.lines(os.getenv("BENCH_COOKIES")) do cookies[#cookies + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", nil, {["Cookie"] = cookies[(n - 1) % #cookies + 1]})
end
"""


class serve:
    """gunicorn with WORKERS sync workers on a free loopback port, for the length of a ``with``."""

    def __init__(self, folder: str, name: str, app: list[str], env: dict | None = None, pythonpath: Path = ROOT):
        self.port = free_port()
        self.log = open(f"{folder}/gunicorn-{name}.log", "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--no-control-socket",
                "--pythonpath",
                str(pythonpath),
                *app,
            ],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> "serve":
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass  # not listening yet, or the workers still booting
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn on port {self.port} did not start: see {self.log.name}")
            time.sleep(0.1)

    def workers_cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, from /proc."""
        total = 0
        for pid in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
        return total / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def shopper_browsing(shop: str) -> str:
    """The Cookie header of a shopper who opened a product page (their session holds the CSRF
    token of its add-to-cart form) and added nothing."""
    session = requests.Session()
    session.get(f"{shop}/products/{CART[-1][0]}").raise_for_status()
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def shopper_with_a_cart(shop: str) -> str:
    """The Cookie header of a shopper who put CART in the cart through the real pages."""
    session = requests.Session()
    for slug, quantity in CART:
        token = CSRF_RE.search(session.get(f"{shop}/products/{slug}").text).group(1)
        session.post(f"{shop}/products/{slug}", data={"quantity": quantity, "csrf_token": token}).raise_for_status()
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


# --- The three measurements -----------------------------------------------------------------------


@dataclass
class Load:
    requests_per_second: float
    cpu_us_per_request: float  # the gunicorn workers' CPU time per request


def side_by_side(hello: serve, shop: serve, path: str, seconds: int, cookie) -> tuple[Load, Load, float]:
    """hello's and the page's figures over ``seconds`` one-second turns each, taken in turn so
    that whatever else the machine is doing slows both alike, and the median of the turns'
    ratios (a burst of load elsewhere spoils one turn, not the figure)."""
    turns = [(load(hello, "/", 1), load(shop, path, 1, cookie)) for _ in range(seconds)]
    hello_load, page_load = (
        Load(
            statistics.mean(t[i].requests_per_second for t in turns),
            statistics.mean(t[i].cpu_us_per_request for t in turns),
        )
        for i in (0, 1)
    )
    return hello_load, page_load, statistics.median(p.requests_per_second / h.requests_per_second for h, p in turns)


def load(server: serve, path: str, seconds: int, cookie: str | Path | None = None) -> Load:
    """wrk on one page; ``cookie``: the Cookie header of every request, or a file of them to take in turn."""
    env = dict(os.environ)
    if isinstance(cookie, Path):
        script = cookie.with_suffix(".lua")
        script.write_text(ROTATING_COOKIES_LUA)
        env["BENCH_COOKIES"] = str(cookie)
        extra = ["--script", str(script)]
    else:
        extra = ["--header", f"Cookie: {cookie}"] if cookie else []
    command = [*WRK, "--duration", f"{seconds}s", *extra, server.url + path]
    cpu_before = server.workers_cpu_seconds()
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30, env=env).stdout
    cpu = server.workers_cpu_seconds() - cpu_before
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"wrk saw errors on {path}:\n{output}")
    count = int(re.search(r"(\d+) requests in", output).group(1))
    return Load(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), cpu / count * 1e6)


def page_weight(url: str) -> dict:
    """Bytes transferred (headers included) for a first visit, then for a reload with the cache."""
    from playwright.sync_api import sync_playwright

    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    weights = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        seen = {}  # requestId -> what Chromium said about it

        def note(event: str, **fields):
            def handler(e):
                entry = seen.setdefault(e["requestId"], {})
                entry.update({key: value(e) for key, value in fields.items() if value(e) is not None})

            cdp.on(event, handler)

        note("Network.requestWillBeSent", url=lambda e: e["request"]["url"])
        # The status on the wire (a revalidated page is reported 200 elsewhere, 304 here).
        note("Network.responseReceivedExtraInfo", status=lambda e: e.get("statusCode"))
        note("Network.requestServedFromCache", cached=lambda e: True)
        note("Network.loadingFinished", bytes=lambda e: e["encodedDataLength"])
        for visit, go in (("first load", lambda: page.goto(url)), ("reload", page.reload)):
            seen.clear()
            go()
            page.wait_for_load_state("networkidle")
            requests_ = [r for r in seen.values() if "url" in r and not r["url"].startswith("data:")]
            weights[visit] = {
                "bytes": sum(r.get("bytes", 0) for r in requests_),
                "requests": len(requests_),
                "from_cache": sum(1 for r in requests_ if r.get("cached")),
                "not_modified": sum(1 for r in requests_ if r.get("status") == 304),
                "other_origins": sorted({r["url"] for r in requests_ if not r["url"].startswith(origin)}),
            }
        browser.close()
    return weights


def webhook_median(folder: str) -> float:
    from bench.webhooks import in_process_ms

    return statistics.median(in_process_ms(f"sqlite:///{folder}/webhook.db", 300))


# --- Output -------------------------------------------------------------------------------------


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    return (
        f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; wrk {wrk}, gunicorn {version('gunicorn')} with "
        f"{WORKERS} sync workers, wrk {' '.join(WRK[1:])}, one run on {time.strftime('%Y-%m-%d')}."
    )


def table(header: tuple, rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
