"""The 200-user load test in one command: static, gunicorn with production settings, locust, figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_load python3 bench/load.py [--workers 5] \
        [--users 200] [--time 300] [--spread 120] [--warmup 60] [--out /tmp/ww_load_run] [--label run1]

Run from the repository root after `seed_demo`, `run_sweeps --all` and a roll-up refresh (bench/README.md,
"Load test: 200 users for 5 minutes"). Standard library only: it drives the project's .venv (collectstatic,
bench/load_users.py, gunicorn) and locust from its own venv (`LOCUST`, default /tmp/locust-venv/bin/locust).

Production settings: DEBUG=0, a random SECRET_KEY, CONN_MAX_AGE=60, the Redis cache (`CACHE_URL`, as in
docker-compose.yml), WhiteNoise serving the collected static files, gunicorn.conf.py (its scrubbing
logger) with the bind, worker count and access log given on the command line; only SECURE_SSL_REDIRECT=0
(plain http on loopback) and API_CLIENT_RATE raised (the throttle is not what is measured).

Prints, for the whole run and for the requests started after the first `--warmup` seconds: requests,
failures, p50/p95/p99/max as the client saw them (with the wait for a free worker), per endpoint, and
gunicorn's own time per request (%(M)s: from the request read to the response written, no queueing);
the load average during the run; the CPU the workers used. Files in --out: requests.csv (every request
with its start time), locust's CSVs, the access log, summary.json.
"""

# ruff: noqa: S108, S603  (a bench driver: fixed paths on this machine, its own commands)
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
ACCESS_RE = re.compile(r'^\[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+)$')


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def stats(rows: list[tuple[float, bool]]) -> dict:
    times = [t for t, _ok in rows]
    return {
        "n": len(rows),
        "fail": sum(not ok for _t, ok in rows),
        "p50": pct(times, 50),
        "p95": pct(times, 95),
        "p99": pct(times, 99),
        "max": max(times, default=float("nan")),
    }


def table(title: str, groups: dict[str, list[tuple[float, bool]]]) -> list[str]:
    lines = [
        f"\n{title}",
        f"{'endpoint':48} {'n':>6} {'fail':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}",
    ]
    everything = [r for rows in groups.values() for r in rows]
    pages = [r for name, rows in groups.items() if "/static/" not in name for r in rows]
    totals = [("ALL", everything), ("ALL but /static/", pages)]
    for name, rows in [*sorted(groups.items(), key=lambda kv: -len(kv[1])), *totals]:
        s = stats(rows)
        lines.append(
            f"{name[:48]:48} {s['n']:>6} {s['fail']:>5} {s['p50']:>7.0f} {s['p95']:>7.0f} {s['p99']:>7.0f} {s['max']:>7.0f}"
        )
    return lines


def server_name(method: str, target: str) -> str:
    path = target.split("?", 1)[0]
    path = re.sub(r"/\d+(?=/)", "/[id]", path)
    if path.startswith("/static/"):
        path = "/static/[file]"
    return f"{method} {path}"


def sample_load(samples: list[tuple[float, float]], stop: threading.Event) -> None:
    while not stop.is_set():
        with open("/proc/loadavg") as fh:
            samples.append((time.time(), float(fh.read().split()[0])))
        stop.wait(5)


def worker_cpu_seconds(master: int) -> float:
    """User + system CPU of the gunicorn workers (children of the master) so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - loopback
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"gunicorn did not answer {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--time", type=int, default=300, help="seconds")
    parser.add_argument("--spread", type=float, default=120, help="log-ins spread over this many seconds")
    parser.add_argument("--warmup", type=float, default=60, help="the 'after the first minute' cut, seconds")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--out", default="/tmp/ww_load_run")
    parser.add_argument("--label", default="")
    parser.add_argument("--keep-users", action="store_true", help="do not remake the load- accounts")
    parser.add_argument("--report", action="store_true", help="only print the figures of the run in --out")
    args = parser.parse_args()
    out = Path(args.out)
    if args.report:
        saved = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        args.workers = saved["workers"]
        report(args, out, saved["t0"], saved["t1"], saved["load"], saved["worker_cpu_s"])
        return

    db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ww_load")
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8")
    out.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        DATABASE_URL=db,
        REDIS_URL=redis,
        CACHE_URL=os.environ.get("CACHE_URL", redis),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        CONN_MAX_AGE="60",
        API_CLIENT_RATE="100000/minute",
        STATIC_ROOT=os.environ.get("STATIC_ROOT", "/tmp/ww_static"),
    )
    py = str(VENV / "python")
    subprocess.run([py, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    users_file = out / "users.json"
    if not (args.keep_users and users_file.exists()):
        subprocess.run(
            [py, "bench/load_users.py", "--any-db", "--out", str(users_file)],
            cwd=ROOT,
            env=dict(env, DEBUG="1"),
            check=True,
        )

    access_log = out / "access.log"
    access_log.unlink(missing_ok=True)
    pidfile = out / "gunicorn.pid"
    gunicorn = subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            '%(t)s "%(r)s" %(s)s %(M)s',
            "--pid",
            str(pidfile),
        ],
        cwd=ROOT,
        env=env,
        stderr=open(out / "gunicorn.err", "w"),  # noqa: SIM115
    )
    host = f"http://127.0.0.1:{args.port}"
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    try:
        wait_until_up(f"{host}/login/")
        for _ in range(3 * args.workers):  # every worker imports the URLconf and templates once
            wait_until_up(f"{host}/login/")
        cpu0 = worker_cpu_seconds(gunicorn.pid)
        access_log.write_text("")  # drop the warm-up probe
        sampler = threading.Thread(target=sample_load, args=(samples, stop), daemon=True)
        sampler.start()
        t0 = time.time()
        subprocess.run(
            [
                os.environ.get("LOCUST", "/tmp/locust-venv/bin/locust"),
                "-f",
                "bench/locustfile.py",
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.users),
                "-t",
                f"{args.time}s",
                "--host",
                host,
                "--csv",
                str(out / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=dict(
                os.environ,
                WW_LOAD_USERS=str(users_file),
                WW_LOAD_REQUESTS=str(out / "requests.csv"),
                WW_LOAD_START_SPREAD=str(args.spread),
            ),
            check=False,
        )
        t1 = time.time()
        cpu = worker_cpu_seconds(gunicorn.pid) - cpu0
    finally:
        stop.set()
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=60)
    report(args, out, t0, t1, samples, cpu)


def report(args: argparse.Namespace, out: Path, t0: float, t1: float, samples: list, cpu: float) -> None:
    """Print the figures of a run from its files, and write summary.txt and summary.json."""
    access_log = out / "access.log"
    lines = [
        f"run {args.label or out.name}: {datetime.fromtimestamp(t0, UTC):%Y-%m-%d %H:%M:%S} UTC, {t1 - t0:.0f} s"
    ]
    loads = [v for _t, v in samples]
    if loads:
        lines.append(
            f"load average (1 min) during the run: start {loads[0]:.2f}, mean {sum(loads) / len(loads):.2f}, "
            f"max {max(loads):.2f}"
        )
    lines.append(f"gunicorn workers ({args.workers}): {cpu:.1f} s CPU of {(t1 - t0) * 2:.0f} s on 2 cores")

    client_all: dict[str, list] = defaultdict(list)
    client_late: dict[str, list] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    with open(out / "requests.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = f"{row['method']} {row['name']}"
            ok = not row["error"]
            item = (float(row["ms"]), ok)
            client_all[key].append(item)
            if float(row["start"]) >= t0 + args.warmup:
                client_late[key].append(item)
            if not ok:
                errors[f"{key}: {row['error'][:100]}"] += 1
    server_all: dict[str, list] = defaultdict(list)
    server_late: dict[str, list] = defaultdict(list)
    for line in access_log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = ACCESS_RE.match(line)
        if not m:
            continue
        when = datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()
        key = server_name(m.group(2), m.group(3))
        ms = float(m.group(5))
        item = (ms, int(m.group(4)) < 500)
        if when - ms / 1000 < t0 - 1:
            continue
        server_all[key].append(item)
        if when - ms / 1000 >= t0 + args.warmup - 1:
            server_late[key].append(item)

    lines += table("client, whole run (ms)", client_all)
    lines += table(f"client, requests started after the first {args.warmup:.0f} s (ms)", client_late)
    lines += table("gunicorn %(M)s, whole run (ms)", server_all)
    lines += table(f"gunicorn %(M)s, after the first {args.warmup:.0f} s (ms)", server_late)
    lines.append("\nerrors: " + (", ".join(f"{k} ×{v}" for k, v in errors.items()) if errors else "none"))
    text = "\n".join(lines)
    print(text)
    (out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    summary = {
        "t0": t0,
        "t1": t1,
        "workers": args.workers,
        "load": samples,
        "worker_cpu_s": cpu,
        "client_all": stats([r for v in client_all.values() for r in v]),
        "client_late": stats([r for v in client_late.values() for r in v]),
        "server_all": stats([r for v in server_all.values() for r in v]),
        "server_late": stats([r for v in server_late.values() for r in v]),
        "server_late_pages": stats([r for k, v in server_late.items() if "/static/" not in k for r in v]),
        "client_late_pages": stats([r for k, v in client_late.items() if "/static/" not in k for r in v]),
        "errors": errors,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
