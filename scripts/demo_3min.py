"""The 3-minute sales demo, scripted: in Arabic, from a cold start, in real Chromium, counted.

    python scripts/demo_3min.py [--shots docs/]

Starts the README's first command (``flask --app wsgi run``) on a free port with a fresh database,
opens the presenter view in Chromium (Arabic), and plays the demo as a presenter would:

1. from the catalogue to a confirmed order in the live timeline: a product, "Buy now as the test
   shopper", then Points' hosted page with its sandbox-only taps (verify, redeem, confirm);
2. one chaos scenario: "A storm of duplicates", one click; the shop stays correct on its own.

With ``--shots`` it also plays "Cash on delivery earning points" (not counted) for a screenshot.

Every click and every typed field is counted, and the seconds each part took; the table is
printed. ``tests/e2e/test_demo_3min.py`` runs it and asserts the counts (never the timings).
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

GOAL_CLICKS, GOAL_TYPED = 5, 0
TIMEOUT_MS = 20_000


@dataclass
class Part:
    name: str
    clicks: int = 0
    typed: int = 0
    seconds: float = 0.0
    steps: list = field(default_factory=list)


class Counter:
    """Every action of the presenter goes through here, so none is left out of the count."""

    def __init__(self):
        self.parts: list[Part] = []

    def start(self, name):
        self.parts.append(Part(name))
        self._t0 = time.monotonic()

    def stop(self):
        self.parts[-1].seconds = time.monotonic() - self._t0

    def click(self, locator, what):
        locator.click()
        self.parts[-1].clicks += 1
        self.parts[-1].steps.append(what)

    def type(self, locator, text, what):
        locator.fill(text)
        self.parts[-1].typed += 1
        self.parts[-1].steps.append(f"type {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_shop(folder: Path, port: int) -> subprocess.Popen:
    """The README's first command, on a fresh database in ``folder``."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'storefront.db'}",
        "POINTS_SANDBOX_DATABASE_URL": f"sqlite:///{folder / 'points_sandbox.db'}",
        "SHOP_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("POINTS_API_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "server.log", "w"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"the shop did not start: see {folder / 'server.log'}")


def play(base: str, shots: Path | None = None, width: int = 1280, browser=None) -> Counter:
    """The demo in ``browser`` (a Playwright Chromium; by default one launched here)."""
    if browser is None:
        with sync_playwright() as pw:
            launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                return play(base, shots, width, launched)
            finally:
                launched.close()
    counter = Counter()
    problems = []
    # A fresh context: a cold browser, nothing in its cookies.
    context = browser.new_context(locale="ar-SA", viewport={"width": width, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # The presenter opens the link from the shop's header (a cold start: nothing in the cart).
    page.goto(f"{base}/")
    counter.start("فتح عرض المقدِّم (opening the presenter view from the shop's header)")
    # The header's link (a phone's header has no room for it: the footer's there).
    link = page.get_by_test_id("presenter-link")
    if not link.is_visible():
        link = page.locator("footer a[href$='/presenter/']")
    counter.click(link, "presenter view")
    shop = page.frame_locator("[data-testid=shop-frame]")
    pane = page.get_by_test_id("live-timeline")
    expect(pane.get_by_test_id("no-order")).to_be_visible()
    counter.stop()
    presenter_opening = counter.parts.pop()

    counter.start("الكتالوج ← طلب مؤكَّد في الخط الزمني (catalogue → confirmed order)")
    counter.click(shop.locator(".product-card-body a[href*='/products/sukkari-dates']"), "a product")
    counter.click(shop.get_by_test_id("buy-now").get_by_role("button"), "Buy now as the test shopper")
    counter.click(shop.get_by_test_id("fill-test-shopper"), "verify with the code shown (sandbox)")
    counter.click(shop.get_by_test_id("redeem-button"), "redeem the whole order in points")
    counter.click(shop.get_by_test_id("confirm-button"), "confirm")
    expect(pane.get_by_test_id("pane-order")).to_have_attribute("data-status", "paid")
    expect(pane.get_by_test_id("tl-webhook").first).to_be_visible()
    counter.stop()
    expect(shop.locator("body")).to_contain_text("PTS-")  # back on the shop's confirmation
    if shots:
        page.screenshot(path=str(shots / f"presenter-{width}-ar.png"), full_page=True)

    counter.start("فوضى: سيل من التكرارات (chaos: a storm of duplicates)")
    counter.click(page.get_by_test_id("scenario-duplicate_storm"), "A storm of duplicates")
    expect(page.get_by_test_id("watch")).to_be_visible()
    expect(pane.get_by_test_id("pane-order")).to_have_attribute("data-status", "paid")
    # Six deliveries of approved, one applied: the rest recorded as duplicates.
    expect(pane.get_by_test_id("tl-webhook")).to_have_count(6, timeout=TIMEOUT_MS)
    counter.stop()
    if shots:
        page.screenshot(path=str(shots / f"presenter-chaos-{width}-ar.png"), full_page=True)
        # Not part of the demo's count: cash on delivery earning points, for its screenshot.
        page.get_by_test_id("scenario-cash_on_delivery").click()
        expect(pane.get_by_test_id("pane-earning-state")).to_have_attribute("data-state", "approved")
        expect(pane.get_by_test_id("tl-webhook")).to_have_count(1)
        page.screenshot(path=str(shots / f"presenter-cod-{width}-ar.png"), full_page=True)
    context.close()
    counter.opening = presenter_opening
    counter.problems = problems
    return counter


def table(counter: Counter) -> str:
    rows = [
        "| Part | Clicks | Typed fields | Seconds | Steps |",
        "| --- | --- | --- | --- | --- |",
    ]
    for part in [counter.opening, *counter.parts]:
        rows.append(f"| {part.name} | {part.clicks} | {part.typed} | {part.seconds:.1f} | {'; '.join(part.steps)} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, help="save screenshots of the presenter view here (e.g. docs/)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="demo3min-") as tmp:
        port = free_port()
        started = time.monotonic()
        shop = start_shop(Path(tmp), port)
        cold_start = time.monotonic() - started
        try:
            if args.shots:
                args.shots.mkdir(parents=True, exist_ok=True)
            counter = play(f"http://127.0.0.1:{port}", args.shots)
            if args.shots:
                play(f"http://127.0.0.1:{port}", args.shots, width=390)
        finally:
            shop.terminate()
            shop.wait(timeout=10)
    print(f"Cold start (the README's first command until the shop answers): {cold_start:.1f} s")
    print(table(counter))
    if counter.problems:
        print("Console errors:", *counter.problems, sep="\n  ")
    order_part, chaos_part = counter.parts
    ok = (
        order_part.clicks <= GOAL_CLICKS
        and order_part.typed <= GOAL_TYPED
        and chaos_part.typed == 0
        and not counter.problems
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
