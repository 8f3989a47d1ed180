"""The sandbox's switches (the single `chaos` row): webhook chaos, failing checkout calls,
the hosted flow's callback parameters, the documented 403s and slow or failing earning calls. Reads and resets them; it
imports nothing of the sandbox but its models, so every other module may use it."""

from __future__ import annotations

import sqlalchemy as sa

from .extensions import db
from .models import Chaos

# name: (type, calm default). The JSON body of POST /_control/chaos and the HTML form use
# these names; reset puts every switch back to its default.
SWITCHES = {
    "webhook_delay_seconds": (float, 0.0),
    "webhook_duplicate": (bool, False),
    "webhook_reverse": (bool, False),
    "webhook_drop_next": (int, 0),
    "checkout_fail_status": (int, None),
    "checkout_fail_next": (int, 0),
    "checkout_delay_seconds": (float, 0.0),
    "callback_params": (bool, True),
    "forbid_merchant": (bool, False),
    "forbid_ip": (bool, False),
    "earning_fail_status": (int, None),
    "earning_fail_next": (int, 0),
    "earning_retry_after": (int, 1),
    "earning_hang_seconds": (float, 0.0),
    "earning_hang_next": (int, 0),
    "earning_delay_seconds": (float, 0.0),
}
DEFAULTS = {name: default for name, (_, default) in SWITCHES.items()}


def switches() -> Chaos:
    """The row; seed() makes it at start (the lazy insert is only a fallback)."""
    row = db.session.get(Chaos, 1)
    if row is None:
        row = Chaos(id=1, **DEFAULTS)
        db.session.add(row)
        db.session.flush()
    return row


def as_json() -> dict:
    row = switches()
    return {name: getattr(row, name) for name in SWITCHES}


def reset() -> None:
    """Every switch to its default; the row is updated, never deleted (requests keep finding it)."""
    db.session.execute(sa.update(Chaos).values(**DEFAULTS))
