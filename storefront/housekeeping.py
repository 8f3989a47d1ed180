"""Demo mode's cron: a background thread per process that reconciles stale orders and prunes.

In production cron (or a systemd timer) runs ``flask --app wsgi reconcile`` and ``prune``
instead (README). Several gunicorn workers each run a thread: reconciliation claims each order
before asking Points (reconcile.py), and pruning deletes only what is already gone for others.

The presenter's "webhook lost" scenario cannot wait the pass's 15 minutes on stage:
:func:`reconcile_soon` brings that one order's turn forward, the same step the pass takes.
"""

import logging
import threading
import time
from datetime import timedelta

from flask import Flask

from .points.reconcile import reconcile_claimed, reconcile_stale_orders
from .retention import prune

log = logging.getLogger(__name__)

RECONCILE_EVERY_SECONDS = 60
RECONCILE_OLDER_THAN = timedelta(minutes=15)  # as the README's cron line
PRUNE_EVERY_SECONDS = 3600


def start(app: Flask) -> threading.Thread:
    thread = threading.Thread(target=_run, args=(app,), name="housekeeping", daemon=True)
    thread.start()
    return thread


def _run(app: Flask) -> None:
    last_prune = None
    while True:
        time.sleep(RECONCILE_EVERY_SECONDS)
        prune_now = last_prune is None or time.monotonic() - last_prune > PRUNE_EVERY_SECONDS
        try:
            run_once(app, prune_too=prune_now)
        except Exception:  # a bad minute must not end the demo's housekeeping
            log.exception("Housekeeping failed; trying again in %d s", RECONCILE_EVERY_SECONDS)
        if prune_now:
            last_prune = time.monotonic()


def run_once(app: Flask, prune_too: bool = True) -> None:
    """One round: reconcile what has waited too long for Points, then (hourly) prune."""
    with app.app_context():
        for result in reconcile_stale_orders(RECONCILE_OLDER_THAN):
            _log_reconciled(result)
        if prune_too:
            log.info("Pruned: %s", prune())


def _log_reconciled(result) -> None:
    log.log(logging.WARNING if result.failed else logging.INFO, "Reconcile: %s", result.message)


def reconcile_soon(app: Flask, order_id: int, order_number: str, seconds: float) -> threading.Timer:
    """Demo mode: reconcile this one order in ``seconds``, as the pass would after its 15 minutes
    (claimed, Points asked, the answer applied: :func:`~storefront.points.reconcile.reconcile_claimed`).

    A thread of this process: should the process end first, the order waits for the pass."""

    def run():
        try:
            with app.app_context():
                _log_reconciled(reconcile_claimed(order_id, order_number))
        except Exception:
            log.exception("Reconciling %s failed; the housekeeping pass tries again later", order_number)

    timer = threading.Timer(seconds, run)
    timer.name, timer.daemon = f"reconcile-{order_number}", True
    timer.start()
    return timer
