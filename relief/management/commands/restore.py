"""Restore a backup made by `manage.py backup` into a new, empty database and MEDIA_ROOT:
`DATABASE_URL=postgres://…/relief_restored manage.py restore /backups/2026-12-04`.

Afterwards every table's rows and every file are checked against the backup's manifest; a
difference is an error (exit status 1). Then run `manage.py migrate` if the code is newer.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from relief.backup import BackupError, restore


class Command(BaseCommand):
    help = "把 manage.py backup 的备份恢复到新建的空数据库，并逐表、逐文件核对"

    def add_arguments(self, parser):
        parser.add_argument("folder", help="备份目录")

    def handle(self, *args, **options):
        try:
            result = restore(Path(options["folder"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if result.mismatches:
            raise CommandError(_("恢复后与备份不符：") + "；".join(result.mismatches))
        self.stdout.write(
            _("已恢复并核对：%(tables)s 张表共 %(rows)s 行，%(files)s 个文件，与备份一致")
            % {"tables": result.tables, "rows": result.rows, "files": result.files}
        )
