"""Write transactions that see the result of the one before them, on PostgreSQL and SQLite alike.

Two changes to one order may arrive at the same moment (two webhooks, a webhook and a staff click,
two workers). Each must read the order *after* the other committed, or one of them acts on stale
state. On PostgreSQL ``SELECT ... FOR UPDATE`` locks the row until commit. SQLite ignores
``FOR UPDATE``; there the write lock is taken when the transaction begins (``BEGIN IMMEDIATE``),
before anything is read, so a second writer waits (``busy_timeout``) instead of reading old rows.
"""

import functools
import queue
import weakref
from typing import Optional

import sqlalchemy as sa

from .extensions import db
from .models import Cart, Order


def tune_engine(engine) -> None:
    """SQLite only: WAL (readers never block the webhook's writes), one fsync per commit, and a wait
    instead of an error when another writer holds the lock. Other transactions keep pysqlite's
    own way: it begins one just before the first write, so reads alone take no lock.

    No listener on ``begin``: it would run for every transaction, every page's reads included,
    and cost a third of a small read. ``begin_write`` takes the write lock itself."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def begin_write() -> None:
    """End the transaction in progress (committing it) and begin one that already holds the
    write lock on SQLite (``BEGIN IMMEDIATE``). On PostgreSQL it begins a plain transaction:
    rows are locked as read."""
    db.session.commit()
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_order(*criteria) -> Optional[Order]:
    """Begin a write transaction and read the order in it, fresh and locked until commit."""
    begin_write()
    return db.session.scalar(
        sa.select(Order).where(*criteria).with_for_update().execution_options(populate_existing=True)
    )


def lock_cart(cart_id: int) -> Optional[Cart]:
    """Begin a write transaction and read the cart in it (its lines fresh), locked until commit."""
    begin_write()
    cart = db.session.scalar(
        sa.select(Cart).where(Cart.id == cart_id).with_for_update().execution_options(populate_existing=True)
    )
    if cart is not None:
        db.session.expire(cart, ["lines"])
    return cart


def read(statement, **params) -> tuple:
    """Run a read-only statement on a short connection of its own, outside the ORM session, and
    return its rows (plain tuples). It sees what is committed, as a new transaction would.

    The shop's pages read this way: for a read, the session's bookkeeping cost more than the
    query. Anything that changes rows goes through the session (and the locks above).
    """
    with db.engine.connect() as connection:
        return tuple(connection.execute(statement, params))


def read_on_driver(statement, **params) -> list[tuple]:
    """``read`` without SQLAlchemy's per-statement machinery: the statement is compiled once for
    the database, then run on a DBAPI connection kept for these reads (``_reader``).

    Only for the one query every page makes (shopper.py), where that machinery cost four times
    the query itself, and the pool's checkout and return as much again. Values go to the driver
    and come back as the driver gives them (no type conversion), so keep it to integer and string
    columns and parameters.
    """
    engine = db.engine
    compiled = _compiled(statement, engine.dialect)
    values = compiled.construct_params(params)
    if compiled.positional:
        values = tuple(values[name] for name in compiled.positiontup)
    spare = _spare_readers.get(engine) or _keep_readers_for(engine)
    try:
        reader = spare.get_nowait()
    except queue.Empty:
        reader = _reader(engine)
    try:
        cursor = reader.dbapi_connection.cursor()
        cursor.execute(compiled.string, values)
        rows = cursor.fetchall()
    except BaseException:
        reader.close()  # a connection that failed is not kept: the next read opens another
        raise
    if _spare_readers.get(engine) is spare:
        spare.put(reader)
    else:  # the engine was disposed of while this read ran
        reader.close()
    return rows


# Per engine, the reader connections not in use (one per request being served at once, at most).
_spare_readers: "weakref.WeakKeyDictionary[sa.Engine, queue.SimpleQueue]" = weakref.WeakKeyDictionary()


def _keep_readers_for(engine) -> queue.SimpleQueue:
    spare = _spare_readers[engine] = queue.SimpleQueue()
    if not sa.event.contains(engine, "engine_disposed", _close_readers):
        sa.event.listen(engine, "engine_disposed", _close_readers)
    return spare


def _close_readers(engine) -> None:
    """``engine.dispose()`` closes the pool's connections; the readers, out of the pool, go too."""
    spare = _spare_readers.pop(engine, None)
    while spare is not None and not spare.empty():
        spare.get_nowait().close()


def _reader(engine):
    """One of the engine's connections (its settings applied), taken out of the pool for good, in
    autocommit: each read sees what is committed, as a new transaction would, and no transaction
    stays open between requests (on PostgreSQL it would hold back vacuum and block schema changes).
    SQLite's driver opens no transaction for a SELECT; PostgreSQL's is told to commit each one."""
    reader = engine.raw_connection()
    reader.detach()
    if engine.dialect.name == "postgresql":
        reader.dbapi_connection.autocommit = True
    return reader


@functools.lru_cache(maxsize=16)
def _compiled(statement, dialect):
    return statement.compile(dialect=dialect)
