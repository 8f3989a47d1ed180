"""Debian's Chromium, as the browser tests, the sandbox's screenshots (sandbox/shots.py) and
bench/pages.py all launch it: ``/usr/bin/chromium`` or ``$CHROMIUM_PATH``, headless, as root, and
without the background connections this machine's closed network refuses."""

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
