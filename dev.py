#!/usr/bin/env python3
"""The two commands of WarmWinter, with nothing installed beforehand but Python 3.11+:

    python3 dev.py demo     # install, migrate, seed demo data, serve on http://127.0.0.1:8000
    python3 dev.py test     # run the whole test suite in parallel (extra arguments go to pytest)

Both use the embedded PostgreSQL server (data in .pgdata/) unless DATABASE_URL is set, and run
background tasks in-process unless CELERY_BROKER_URL is set.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("WARMWINTER_VENV", ROOT / ".venv"))
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*args: str | Path, env: dict | None = None) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)  # noqa: S603
    if result.returncode:
        sys.exit(result.returncode)


def ensure_local_env() -> None:
    """A development checkout runs with DEBUG on (so `manage.py` works without further setup); the
    file is ignored by git and docker. Production sets DEBUG=0 and SECRET_KEY itself."""
    env_file = ROOT / ".env"
    if not env_file.exists():
        env_file.write_text("# written by dev.py for local development; see .env.example\nDEBUG=1\n")


def ensure_installed() -> None:
    """Create .venv and install the pinned dependencies, once per change of pyproject/constraints."""
    if not PY.exists():
        print(f"creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    ).hexdigest()
    stamp = VENV / ".warmwinter-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing dependencies (pinned by constraints.txt) ...", flush=True)
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", ".[dev]")
    stamp.write_text(digest)


def demo(args: list[str]) -> None:
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1")}
    people = os.environ.get("DEMO_PEOPLE", "2000")
    run(PY, "manage.py", "migrate", "--no-input", env=env)
    run(PY, "manage.py", "sync_schedules", env=env)
    run(PY, "manage.py", "seed_demo", "--if-empty", "--people", people, env=env)
    addr = args[0] if args else "127.0.0.1:8000"
    print(f"\nWarmWinter is running at http://{addr}/  (Ctrl+C to stop)\n", flush=True)
    run(PY, "manage.py", "runserver", addr, env=env)


def test_processes(args: list[str]) -> list[str]:
    """The suite runs in parallel, one pytest-xdist process per core (at most 4; TEST_PROCESSES sets
    the number, 0 runs it in this process), unless the arguments choose (-n, -p no:xdist). Each
    process has its own test database (test_relief_gw0, ...); tests sharing an outside resource are
    kept together (--dist loadgroup and the xdist_group marker)."""
    if any(
        a in {"-n", "--numprocesses", "no:xdist"} or a.startswith(("-n", "--numprocesses=")) for a in args
    ):
        return []
    n = int(os.environ.get("TEST_PROCESSES") or min(os.cpu_count() or 1, 4))
    return ["-n", str(n), "--dist", "loadgroup"] if n > 1 else []


def test(args: list[str]) -> None:
    run(PY, "-m", "pytest", *test_processes(args), *args)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "install"}:
        print(__doc__)
        sys.exit(2)
    ensure_installed()
    ensure_local_env()
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "demo":
        demo(rest)
    elif command == "test":
        test(rest)


if __name__ == "__main__":
    main()
