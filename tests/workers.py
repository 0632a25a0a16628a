"""Real Celery workers on Redis for the tests that depend on them.

`Worker(queue, name)` starts `celery worker` in a subprocess against the test database and a Redis
broker (REDIS_URL, default redis://127.0.0.1:6379/15), listening only on `queue` so no other worker
takes its tasks. Without Redis the test is skipped, unless REQUIRE_SERVICES=1 (set by .ci/run), where
a missing Redis is a failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required here but not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL} (set REDIS_URL; CI sets REQUIRE_SERVICES=1)")
    return REDIS_URL


def test_database_url() -> str:
    """A DATABASE_URL for the test database this process uses (TCP or the embedded server's socket)."""
    s = connection.settings_dict
    host = s.get("HOST") or s.get("OPTIONS", {}).get("host") or "localhost"
    port = s.get("PORT") or ""
    auth = quote(s.get("USER") or "postgres", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    if host.startswith("/"):
        return f"postgres://{auth}@/{s['NAME']}?host={quote(host)}"
    return f"postgres://{auth}@{host}{':' + str(port) if port else ''}/{s['NAME']}"


@contextlib.contextmanager
def use_broker(queue: str | None, broker_url: str | None = None) -> Iterator[None]:
    """Make this (test) process send tasks to Redis instead of running them in-process: every task
    on `queue` (the routes of relief/queues.py off), or with `queue=None` by those routes, to the
    real queue names (on a Redis database of the test's own). `broker_url`: REDIS_URL by default."""
    from relief.celery import app

    def reset() -> None:
        # forget connections, producers and queue routing built from the previous settings; kombu
        # keeps a registry of pools keyed by URL, which must be emptied too, or a closed pool comes back
        import kombu.pools

        with contextlib.suppress(Exception):
            app.pool.force_close_all()
        kombu.pools.connections.clear()
        kombu.pools.producers.clear()
        app._pool = None
        app.__dict__.pop("amqp", None)

    keys = ("task_always_eager", "broker_url", "task_default_queue", "task_routes")
    saved = {k: app.conf[k] for k in keys}
    app.conf.update(task_always_eager=False, broker_url=broker_url or REDIS_URL)
    if queue is not None:
        app.conf.update(task_default_queue=queue, task_routes=())
    reset()
    try:
        yield
    finally:
        app.conf.update(saved)
        reset()


def new_queue() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


class Worker:
    """`celery worker -Q queue` (a comma-separated list of queues). `broker_url` and `database_url`
    default to REDIS_URL and the test database; `prefix` runs it under another command (`ip netns
    exec NS`: a worker on another host, tests/relief/test_workers_netns.py); `env`: more variables."""

    def __init__(
        self,
        queue: str,
        name: str,
        concurrency: int = 1,
        *,
        broker_url: str | None = None,
        database_url: str | None = None,
        prefix: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url or test_database_url(),
            "CELERY_BROKER_URL": broker_url or REDIS_URL,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.name = name
        self.log = ROOT / "var" / f"worker-{name}-{queue.replace(',', '+')}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.log.open("w")
        self.proc = subprocess.Popen(
            [
                *prefix,
                sys.executable,
                "-m",
                "celery",
                "-A",
                "relief",
                "worker",
                "-Q",
                queue,
                "-n",
                f"{name}@%h",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log.read_text()}")
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._fh.close()


def wait_for(predicate, timeout: float = 60, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {message}")
