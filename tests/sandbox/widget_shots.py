"""Screenshots of the widgets stand-in on a shop page, Arabic and English, 1280 and 390 px, with
the popup open, to compare with shared/points-widgets/*.png.

    python tests/sandbox/widget_shots.py [/tmp/widget-shots]
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from widget_page import serve, shop_app  # noqa: E402

from points_sandbox import create_app  # noqa: E402


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp()
    sandbox = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/w.db", "SANDBOX_WEBHOOK_WORKER": False})
    sandbox_origin, sandbox_server = serve(sandbox)
    sandbox_origin = sandbox_origin.replace("127.0.0.1", "localhost")  # another origin than the shop's
    shop, shop_server = serve(shop_app(sandbox_origin))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang in ("ar", "en"):
            for width, height in ((1280, 900), (390, 844)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.on("console", lambda m: print("console:", m.type, m.text))
                page.goto(f"{shop}/?lang={lang}")
                page.wait_for_function("() => document.querySelectorAll('[data-points-widget-skeleton]').length === 0")
                page.screenshot(path=str(out / f"{lang}-{width}-page.png"), full_page=True)
                page.frame_locator("#card iframe").get_by_test_id("learn-more").click()
                page.wait_for_selector("[data-points-widget-overlay] iframe")
                page.wait_for_timeout(800)
                page.screenshot(path=str(out / f"{lang}-{width}-modal.png"))
                page.close()
        browser.close()
    shop_server.shutdown()
    sandbox_server.shutdown()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/widget-shots"))
