"""Write transactions that see the result of the one before them, on PostgreSQL and SQLite alike.

Two changes to one order may arrive at the same moment (two webhooks, a webhook and a staff click,
two workers). Each must read the order *after* the other committed, or one of them acts on stale
state. On PostgreSQL ``SELECT ... FOR UPDATE`` locks the row until commit. SQLite ignores
``FOR UPDATE``; there the write lock is taken when the transaction begins (``BEGIN IMMEDIATE``),
before anything is read, so a second writer waits (``busy_timeout``) instead of reading old rows.
"""
from typing import Optional

import sqlalchemy as sa

from .extensions import db
from .models import Cart, Order

WRITE_LOCK = "storefront_write_lock"  # execution option read by the SQLite ``begin`` hook


def tune_engine(engine) -> None:
    """SQLite only: WAL (readers never block the webhook's writes), one fsync per commit, a wait
    instead of an error when another writer holds the lock, and ``BEGIN IMMEDIATE`` for a write
    transaction. Other transactions keep pysqlite's own way: it begins one just before the first
    write, so reads alone take no lock."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        if connection.get_execution_options().get(WRITE_LOCK):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def begin_write() -> None:
    """End the transaction in progress (committing it) and begin one that already holds the
    write lock on SQLite. On PostgreSQL it begins a plain transaction: rows are locked as read."""
    db.session.commit()
    db.session.connection(execution_options={WRITE_LOCK: True})


def lock_order(*criteria) -> Optional[Order]:
    """Begin a write transaction and read the order in it, fresh and locked until commit."""
    begin_write()
    return db.session.scalar(
        sa.select(Order).where(*criteria).with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_cart(cart_id: int) -> Optional[Cart]:
    """Begin a write transaction and read the cart in it (its lines fresh), locked until commit."""
    begin_write()
    cart = db.session.scalar(
        sa.select(Cart).where(Cart.id == cart_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if cart is not None:
        db.session.expire(cart, ["lines"])
    return cart
