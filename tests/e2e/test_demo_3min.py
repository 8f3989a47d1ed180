"""The scripted 3-minute demo (scripts/demo_3min.py) from a cold start, in Arabic, in Chromium:
its goals asserted (clicks and typed fields), never its timings (those go in the README)."""

import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import demo_3min  # noqa: E402

pytestmark = pytest.mark.e2e


def test_the_3_minute_demo_meets_its_goals(browser):  # ``browser``: skips where Chromium is missing
    with tempfile.TemporaryDirectory() as tmp:
        port = demo_3min.free_port()
        shop = demo_3min.start_shop(Path(tmp), port)
        try:
            counter = demo_3min.play(f"http://127.0.0.1:{port}", browser=browser)
        finally:
            shop.terminate()
            shop.wait(timeout=10)
    order, chaos = counter.parts
    assert order.clicks <= 5 and order.typed == 0, order
    assert chaos.clicks == 1 and chaos.typed == 0, chaos
    assert counter.opening.clicks == 1
    assert not counter.problems
