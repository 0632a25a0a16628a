"""Back up the database and the uploaded files: `manage.py backup /backups/2026-12-04`.

What the folder holds and how it is checked: relief/backup.py; when to use it: docs/deployment.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from relief.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库（pg_dump）和上传的文件到一个新目录，附清单（各表行数、文件校验值）"

    def add_arguments(self, parser):
        parser.add_argument("folder", help="新的备份目录（不得已存在）")

    def handle(self, *args, **options):
        try:
            manifest = backup(Path(options["folder"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("已备份：%(tables)s 张表共 %(rows)s 行，%(files)s 个文件，写入 %(folder)s")
            % {
                "tables": len(manifest["rows"]),
                "rows": sum(manifest["rows"].values()),
                "files": len(manifest["files"]),
                "folder": options["folder"],
            }
        )
