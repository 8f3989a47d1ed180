"""The order lock: whoever changes an order reads it fresh, and holds it until they commit.

Two changes to one order may arrive at the same moment (two webhooks, a webhook and a staff click,
two workers). Each must read the order *after* the other committed, or one of them acts on stale
state. On PostgreSQL ``SELECT ... FOR UPDATE`` locks the row until commit. SQLite ignores
``FOR UPDATE``; there the write lock is taken when the transaction begins (``BEGIN IMMEDIATE``),
before anything is read, so a second writer waits (``busy_timeout``) instead of reading old rows.
"""

from typing import Optional

import sqlalchemy as sa

from ..database import begin_write
from ..extensions import db
from ..models import Order


def lock_order(*criteria) -> Optional[Order]:
    """Begin a write transaction and read the order in it, fresh and locked until commit.

    The caller must have nothing uncommitted (``begin_write`` refuses): the lock starts a
    transaction of its own, and the caller's commit or rollback ends it."""
    begin_write()
    return db.session.scalar(
        sa.select(Order).where(*criteria).with_for_update().execution_options(populate_existing=True)
    )
