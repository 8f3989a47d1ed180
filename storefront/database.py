"""The database set-up, done once whoever starts first: the schema migrated to the newest
revision (``migrations/``), the demo catalogue seeded if there is none, the demo staff login.

``create_app`` calls :func:`prepare_database`, so every entry point (``flask --app wsgi run``,
each gunicorn worker, a CLI command) finds the database ready. Several processes starting at
once on a fresh database would race to create the same tables and rows, so the work runs under
a lock that spans processes: one does it, the others wait, then find nothing left to do. When
everything is in place (the usual start) it costs a few small reads and takes no lock.
"""

import fcntl
import logging
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from flask import current_app
from werkzeug.security import generate_password_hash

from .config import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
from .extensions import db
from .models import AdminUser, Product
from .seed import seed_catalogue

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# The schema the shop had before it had migrations: what ``create_all`` made. A database with
# the shop's tables and no ``alembic_version`` is stamped with it, then upgraded in place.
BASELINE_REVISION = "3656917_baseline"
# Any fixed number, the same in every process: the key of the PostgreSQL advisory lock.
SETUP_LOCK_KEY = 0x53746F7265  # "Store"


def prepare_database() -> None:
    """Bring the database to the newest schema, with a catalogue (and the demo login in demo mode).

    Safe to call from any number of processes at once; cheap when there is nothing to do.
    """
    if _is_ready():
        return
    with setup_lock(db.engine):
        _upgrade_to_head()
        if not db.session.scalar(sa.select(sa.func.count()).select_from(Product)):
            log.info("Seeding the demo catalogue")
            seed_catalogue()
        if current_app.config["POINTS_DEMO_MODE"] and not _demo_admin_exists():
            db.session.add(AdminUser(email=DEMO_ADMIN_EMAIL, password_hash=generate_password_hash(DEMO_ADMIN_PASSWORD)))
        db.session.commit()


@lru_cache(maxsize=1)
def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(connection) -> str | None:
    """The revision the database is at (None: no ``alembic_version``, i.e. empty or pre-migrations)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


@contextmanager
def setup_lock(engine):
    """Held by one process at a time, across processes: on PostgreSQL an advisory lock on a
    connection of its own (released with its transaction, or when the process dies); on a SQLite
    file an exclusive ``flock`` on a lock file beside it (released on close, or at death)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection, connection.begin():
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY})
            yield
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with file_lock(Path(engine.url.database + "-setup.lock")):
            yield
    else:
        yield  # an in-memory database lives in one process


@contextmanager
def file_lock(path: Path):
    """An exclusive lock on ``path`` across the processes of this machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_ready() -> bool:
    with db.engine.connect() as connection:
        if current_revision(connection) != head_revision():
            return False
    ready = bool(db.session.scalar(sa.select(sa.func.count()).select_from(Product)))
    if ready and current_app.config["POINTS_DEMO_MODE"]:
        ready = _demo_admin_exists()
    db.session.rollback()  # end the read transaction: nothing stays open after start-up
    return ready


def _demo_admin_exists() -> bool:
    return db.session.scalar(sa.select(AdminUser.id).where(AdminUser.email == DEMO_ADMIN_EMAIL)) is not None


def _upgrade_to_head() -> None:
    config = current_app.extensions["migrate"].migrate.get_config(str(MIGRATIONS_DIR))
    with db.engine.connect() as connection:
        revision = current_revision(connection)
        made_by_create_all = revision is None and sa.inspect(connection).has_table(Product.__tablename__)
    if revision == head_revision():
        return
    if made_by_create_all:
        log.info("Tables made before migrations: stamping them as revision %s", BASELINE_REVISION)
        command.stamp(config, BASELINE_REVISION)
    log.info("Migrating the database to revision %s", head_revision())
    command.upgrade(config, "head")


# --- The engine and write transactions ------------------------------------------------------------


def tune_engine(engine) -> None:
    """SQLite only: WAL (readers never block the webhook's writes), one fsync per commit, a wait
    instead of an error when another writer holds the lock, and foreign keys enforced (SQLite
    ignores them unless asked)."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class UncommittedChanges(RuntimeError):
    """A write transaction was asked for while the session held changes nobody committed."""


def begin_write() -> None:
    """Begin a transaction that already holds the write lock on SQLite (``BEGIN IMMEDIATE``); on
    PostgreSQL a plain one (rows are locked as read, ``FOR UPDATE``).

    The read transaction in progress is ended first. It must hold no changes: a lock that
    committed them would commit them for its caller, unseen."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise UncommittedChanges("commit or roll back before taking a write lock")
    session.commit()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
