"""SQLAlchemy engines tuned per database: SQLite in WAL mode, PostgreSQL (psycopg 3), MariaDB (PyMySQL)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from marketjobs.constants import DEFAULT_DATABASE_URL
from marketjobs.errors import ConfigError

__all__ = ["READ_ONLY_OPTION", "create_store_engine", "normalize_database_url", "session_factory"]

logger = logging.getLogger(__name__)

#: How long a SQLite writer waits for the lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Drivers marketjobs installs for each database, used when a URL names none.
_DEFAULT_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}


def normalize_database_url(url: str | URL) -> URL:
    """Picks the installed driver for bare ``postgresql://``, ``mysql://`` and ``mariadb://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in _DEFAULT_DRIVERS:
        parsed = parsed.set(drivername=_DEFAULT_DRIVERS[parsed.drivername])
    return parsed


#: The one directory made for a SQLite store that is not there yet: ``var/`` of the default URL.
DEFAULT_SQLITE_DIR = Path(make_url(DEFAULT_DATABASE_URL).database or "var/marketjobs.db").parent


def _sqlite_directory(database: str) -> None:
    """Makes the default ``var/`` for a new SQLite file; any other missing directory (a typo?) is an error."""
    directory = Path(database).parent
    if directory.is_dir():
        return
    if directory.resolve() != DEFAULT_SQLITE_DIR.resolve():
        raise ConfigError(
            f"the directory {directory} of SQLite database {database} does not exist; create it "
            f"(mkdir -p {directory}) or fix MARKETJOBS_DATABASE_URL / MARKETJOBS_BROKER_URL"
        )
    directory.mkdir(parents=True, exist_ok=True)
    logger.info("created %s/ for the SQLite store", directory)


def _prepare_sqlite(url: URL) -> dict[str, Any]:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        _sqlite_directory(database)
    return {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level; SQLAlchemy issues BEGIN itself (see _on_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: Execution option of connections that only read: they begin a deferred transaction (no write lock).
READ_ONLY_OPTION = "marketjobs_read_only"


def _on_sqlite_begin(connection: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so the busy timeout applies instead of a
    # "database is locked" error when a read transaction later tries to write. Readers that promise not to
    # write begin a deferred transaction, which in WAL mode never waits for writers.
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def create_store_engine(url: str | URL, *, shared: bool = True) -> Engine:
    """Returns an engine for ``url``; with ``shared`` the same engine is reused within the process."""
    parsed = normalize_database_url(url)
    key = parsed.render_as_string(hide_password=False)
    if shared:
        with _engines_lock:
            if key in _engines:
                return _engines[key]
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = _prepare_sqlite(parsed)
    else:
        kwargs["pool_recycle"] = 1800
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    if shared:
        with _engines_lock:
            engine = _engines.setdefault(key, engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A sessionmaker bound to ``engine`` that keeps objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
