"""The webhook sender: one background thread that POSTs the outbox (webhooks.py), retries it and
keeps every attempt for the log; it also runs the checkout-expiry sweep.

Delivery is over real HTTP with `requests`, even when the storefront runs in the same process,
so the storefront's webhook endpoint is exercised exactly as the real Points would call it.

Top of the sandbox's import graph: nothing of the sandbox imports this module but the app
factory and the control endpoints.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import requests
import sqlalchemy as sa
from flask import Flask, current_app

from . import checkout
from .extensions import db
from .models import Delivery, DeliveryAttempt, utcnow
from .webhooks import WORKER_KEY, resolve_url

log = logging.getLogger("points_sandbox.webhooks")

__all__ = ["WORKER_KEY", "Worker", "flush", "outstanding", "send", "send_claimed"]


def _claim_next(ignore_schedule: bool = False) -> Delivery | None:
    query = sa.select(Delivery.id).where(Delivery.status == "pending")
    if not ignore_schedule:
        query = query.where(Delivery.next_attempt_at <= utcnow())
    for delivery_id in db.session.scalars(query.order_by(Delivery.next_attempt_at, Delivery.id).limit(5)):
        # Compare-and-set, so two processes sharing a database never send the same row.
        claimed = db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == "pending")
            .values(status="sending")
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(Delivery, delivery_id)
    return None


def send(delivery: Delivery) -> None:
    """One attempt; schedules the next one or gives up after the configured delays."""
    config = current_app.config
    hook = delivery.webhook
    if hook is None:
        delivery.status, delivery.note = "cancelled", "webhook deleted before delivery"
        db.session.commit()
        return
    url = resolve_url(hook.url, delivery.order, delivery.origin)
    secret = hook.secret
    db.session.commit()  # no transaction held open during the HTTP call

    number = delivery.attempts_made + 1
    started = utcnow()
    clock = time.monotonic()
    status_code, error = None, None
    if url is None:
        error = "relative webhook URL and no origin to resolve it against"
    else:
        try:
            response = requests.post(
                url,
                data=delivery.payload.encode("utf-8"),
                headers={
                    "Content-Type": "application/json",
                    "X-Webhook-Secret": secret,
                    "X-Webhook-Event": delivery.event,
                },
                timeout=config["SANDBOX_WEBHOOK_TIMEOUT"],
                allow_redirects=False,
            )
            status_code = response.status_code
        except requests.Timeout:
            error = "timeout"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]

    delivery.attempts.append(
        DeliveryAttempt(
            number=number,
            url=url or hook.url,
            started_at=started,
            status_code=status_code,
            error=error,
            duration_ms=int((time.monotonic() - clock) * 1000),
        )
    )
    delivery.attempts_made = number
    delays = config["SANDBOX_WEBHOOK_RETRY_DELAYS"]
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = "delivered"
    elif number <= len(delays):
        delivery.status = "pending"
        delivery.next_attempt_at = utcnow() + timedelta(seconds=delays[number - 1])
    else:
        delivery.status = "failed"
    db.session.commit()
    log.info("webhook %s #%s attempt %s -> %s", delivery.event, delivery.id, number, status_code or error)


def send_claimed(delivery: Delivery) -> None:
    """`send` a claimed delivery; if it raises, the row goes back to `pending` (not left
    `sending` forever, which nothing would pick up again) and the error goes on."""
    delivery_id = delivery.id
    try:
        send(delivery)
    except BaseException:
        db.session.rollback()
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == "sending")
            .values(status="pending")
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        raise


def flush() -> int:
    """Attempt every pending delivery once now, whatever its schedule. Returns how many."""
    count = 0
    while (delivery := _claim_next(ignore_schedule=True)) is not None:
        send_claimed(delivery)
        count += 1
    return count


def outstanding() -> int:
    """Deliveries still to be attempted (held ones wait for a chaos release, not counted)."""
    return db.session.scalar(sa.select(sa.func.count(Delivery.id)).where(Delivery.status.in_(("pending", "sending"))))


class Worker:
    """The background thread: sends due deliveries and expires stale checkout sessions."""

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="points-sandbox-webhooks", daemon=True)

    def start(self) -> None:
        with self.app.app_context():
            # Rows left "sending" by a process that died mid-attempt are tried again.
            db.session.execute(sa.update(Delivery).where(Delivery.status == "sending").values(status="pending"))
            db.session.commit()
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        last_sweep = 0.0
        while not self._stop.is_set():
            pause = 0.5
            self._wake.clear()  # a wake() from now on cuts the pause below short
            with self.app.app_context():
                try:
                    if time.monotonic() - last_sweep >= self.app.config["SANDBOX_EXPIRY_SWEEP_SECONDS"]:
                        checkout.expire_stale_sessions()
                        last_sweep = time.monotonic()
                    delivery = _claim_next()
                    if delivery is not None:
                        send_claimed(delivery)
                        pause = 0
                    else:
                        upcoming = db.session.scalar(
                            sa.select(sa.func.min(Delivery.next_attempt_at)).where(Delivery.status == "pending")
                        )
                        if upcoming is not None:
                            pause = min(pause, max(0.0, (upcoming - utcnow()).total_seconds()))
                except Exception:  # the worker must outlive any one bad row
                    log.exception("webhook worker iteration failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
            if pause:
                self._wake.wait(pause)
