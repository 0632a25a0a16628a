"""Hosts of the tests' own on this machine: network namespaces on a private LAN, with the broker and
the database reached over that LAN, not over the root namespace's loopback.

`lan(n)` makes n namespaces (unique names per run), each with a veth pair whose other end is on a
bridge in the root namespace; the bridge has the LAN's first address (10.x.y.1/24), host i the
address 10.x.y.(i + 2). Everything is removed on exit, also when the test fails. A namespace has its
own loopback, so 127.0.0.1 inside it is not this machine's PostgreSQL or Redis.

On the bridge address, in the root namespace:
- `redis_on(address)`: a Redis server of the caller's own (nothing saved to disk; protected mode
  off, which refuses any client not on its loopback: it listens on the private bridge only);
- `postgres_forwarder(address)`: socat forwarding TCP to the PostgreSQL server of the test database
  (the machine's, which listens on 127.0.0.1 only, or the embedded one's Unix socket), with TCP keepalives and a TCP user timeout of 3 s towards the hosts: the
  PostgreSQL server settings tcp_keepalives_idle/interval/count and tcp_user_timeout do the same
  for a real remote worker: a host that vanishes mid-transaction has its connection, and so its
  transaction and locks, dropped within seconds instead of the kernel's two hours.

Needs root and `ip netns` (iproute2), socat and redis-server; `lan_or_skip` skips with the reason
otherwise, unless REQUIRE_SERVICES=1 (CI runs as root), where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.workers import Worker

PG_HOST, PG_PORT = "127.0.0.1", 5432


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=20)


def unavailable() -> str | None:
    """Why hosts cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "socat", "redis-server"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = f"ww-probe-{uuid.uuid4().hex[:6]}"
    made = ip("netns", "add", probe, check=False)
    if made.returncode:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


def lan_or_skip() -> None:
    reason = unavailable()
    if reason:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"hosts in network namespaces are required here: {reason}")
        pytest.skip(f"no hosts in network namespaces: {reason} (CI sets REQUIRE_SERVICES=1)")


@dataclass
class Host:
    ns: str
    address: str
    link: str  # the veth end on the bridge, in the root namespace
    peer: str  # the veth end inside the namespace

    @property
    def prefix(self) -> tuple[str, ...]:
        """Run a command on this host."""
        return ("ip", "netns", "exec", self.ns)

    def cut(self) -> None:
        """Pull the cable: both ends of its link down (nothing reaches it, nothing leaves it)."""
        ip("link", "set", self.link, "down")
        ip("netns", "exec", self.ns, "ip", "link", "set", self.peer, "down")


@dataclass
class Lan:
    gateway: str
    hosts: list[Host]
    bridge: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    broker: str = ""  # the LAN's Redis, once `celery_on` started it
    database: tuple[str, int] = ("", 0)  # the forwarder to PostgreSQL, once `celery_on` started it


def _free_subnet() -> str:
    used = ip("-4", "-o", "addr").stdout
    for _ in range(50):
        prefix = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"
        if f" {prefix}." not in used:
            return prefix
    raise RuntimeError("no free 10.x.y.0/24 subnet")


@contextlib.contextmanager
def lan(n: int) -> Iterator[Lan]:
    tag = uuid.uuid4().hex[:6]
    subnet = _free_subnet()
    bridge = f"wwb{tag}"
    hosts = [
        Host(ns=f"ww-{tag}-{i}", address=f"{subnet}.{i + 2}", link=f"ww{tag}h{i}", peer=f"ww{tag}n{i}")
        for i in range(n)
    ]
    net = Lan(gateway=f"{subnet}.1", hosts=hosts, bridge=bridge)
    try:
        ip("link", "add", bridge, "type", "bridge")
        ip("addr", "add", f"{net.gateway}/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        for host in hosts:
            ip("netns", "add", host.ns)
            ip("link", "add", host.link, "type", "veth", "peer", "name", host.peer)
            ip("link", "set", host.peer, "netns", host.ns)
            ip("link", "set", host.link, "master", bridge, "up")
            ip("netns", "exec", host.ns, "ip", "addr", "add", f"{host.address}/24", "dev", host.peer)
            ip("netns", "exec", host.ns, "ip", "link", "set", host.peer, "up")
            ip("netns", "exec", host.ns, "ip", "link", "set", "lo", "up")
        yield net
    finally:
        for proc in net.processes:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)
            with contextlib.suppress(Exception):
                proc.wait(5)
        for host in hosts:
            # whatever still runs on the host (only what the test started there) goes with it
            pids = ip("netns", "pids", host.ns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            ip("netns", "del", host.ns, check=False)  # takes its veth pair with it
            ip("link", "del", host.link, check=False)
        ip("link", "del", bridge, check=False)


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def _wait_port(address: str, port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {address}:{port}")


def redis_on(net: Lan) -> str:
    """A Redis server of the LAN's own on the bridge address; its URL."""
    port = _free_port(net.gateway)
    proc = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            net.gateway,
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    net.processes.append(proc)
    _wait_port(net.gateway, port)
    return f"redis://{net.gateway}:{port}/0"


def postgres_forwarder(net: Lan) -> tuple[str, int]:
    """socat on the bridge address to the local PostgreSQL (see the module docstring)."""
    port = _free_port(net.gateway)
    listen = (
        f"TCP-LISTEN:{port},bind={net.gateway},fork,reuseaddr,"
        # keepalive after 2 s idle, 1 s apart, 2 probes; TCP_USER_TIMEOUT (IPPROTO_TCP=6, option 18) 3 s
        "keepalive,keepidle=2,keepintvl=1,keepcnt=2,setsockopt-int=6:18:3000"
    )
    proc = subprocess.Popen(
        ["socat", listen, _server_address()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    net.processes.append(proc)
    _wait_port(net.gateway, port)
    return net.gateway, port


def _server_address() -> str:
    """socat's address of the PostgreSQL server this process's test database is on: the machine's on
    127.0.0.1, or the embedded server's Unix socket (it listens on no TCP port)."""
    from django.db import connection

    s = connection.settings_dict
    host = s.get("HOST") or s.get("OPTIONS", {}).get("host") or PG_HOST
    port = s.get("PORT") or PG_PORT
    if str(host).startswith("/"):
        return f"UNIX-CONNECT:{host}/.s.PGSQL.{port}"
    return f"TCP:{host}:{port}"


def reachable_from(host: Host, address: str, port: int) -> bool:
    """Whether a TCP connection from `host` to address:port succeeds (within 2 s)."""
    code = f"import socket; socket.create_connection(({address!r}, {port}), timeout=2)"
    done = subprocess.run([*host.prefix, sys.executable, "-c", code], capture_output=True, timeout=20)
    return done.returncode == 0


def celery_on(net: Lan, queue: str, name: str, env: dict[str, str]) -> list[Worker]:
    """A broker and a database forwarder on the LAN, and a `celery worker -Q queue` on each host
    (named name-0, name-1, ...; not yet ready), on the database this process uses."""
    from django.db import connection

    net.broker = redis_on(net)
    net.database = address, port = postgres_forwarder(net)
    s = connection.settings_dict
    database_url = f"postgres://{s['USER'] or 'postgres'}@{address}:{port}/{s['NAME']}"
    return [
        Worker(
            queue, f"{name}-{i}", broker_url=net.broker, database_url=database_url, prefix=h.prefix, env=env
        )
        for i, h in enumerate(net.hosts)
    ]
