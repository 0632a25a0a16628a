"""Run monitoring sweeps now, in this process, county by county: `manage.py run_sweeps --all`.

The same work as the nightly Celery fan-out (relief.alerts.tasks.sweeps_nightly) without a broker, for an
operator or a cron job; it prints, per kind, how many alerts were raised and resolved. Like the nightly
run it skips a county where nothing the sweep depends on changed since its last run
(relief/alerts/delta.py); `--full` runs every county whatever changed (the weekly run's safety net).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from relief.alerts.sweeps import SWEEPS, SweepResult, counties_under, sweep_county


class Command(BaseCommand):
    help = "运行主动发现监测（按县逐一执行），输出每类预警新产生和自动解除的数量"

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", action="append", dest="kinds", default=[], help="监测项目（可重复）；缺省为全部"
        )
        parser.add_argument(
            "--county", action="append", dest="regions", default=[], help="区划代码（县或上级，可重复）"
        )
        parser.add_argument("--all", action="store_true", help="全部县")
        parser.add_argument("--list", action="store_true", help="列出已登记的监测项目")
        parser.add_argument(
            "--full", action="store_true", help="完整运行：不论上次运行以来有无变化，每个县都执行"
        )

    def handle(self, *args, **options):
        if options["list"]:
            for kind, sweep in SWEEPS.items():
                self.stdout.write(f"{kind}\t{sweep.label}")
            return
        unknown = [k for k in options["kinds"] if k not in SWEEPS]
        if unknown:
            raise CommandError(_("未知的监测项目：%(kinds)s（--list 查看）") % {"kinds": "、".join(unknown)})
        if not options["all"] and not options["regions"]:
            raise CommandError(_("请指定 --county 区划代码，或 --all 运行全部县"))
        kinds = options["kinds"] or list(SWEEPS)
        if options["all"]:
            counties = counties_under(None)
        else:
            counties = sorted({c for code in options["regions"] for c in counties_under(code)})
        if not counties:
            raise CommandError(_("没有找到符合条件的县级区划"))
        total = SweepResult()
        started = time.monotonic()
        for kind in kinds:
            per_kind = SweepResult()
            kind_started = time.monotonic()
            for county in counties:
                per_kind += sweep_county(kind, county, full=options["full"])
            total += per_kind
            self.stdout.write(
                _(
                    "%(kind)s\t新产生 %(raised)s\t自动解除 %(resolved)s\t无变化跳过 %(skipped)s 个县\t%(seconds).1f 秒"
                )
                % {
                    "kind": kind,
                    "raised": per_kind.raised,
                    "resolved": per_kind.resolved,
                    "skipped": per_kind.skipped,
                    "seconds": time.monotonic() - kind_started,
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("合计：%(counties)s 个县，新产生 %(raised)s，自动解除 %(resolved)s，用时 %(seconds).1f 秒")
                % {
                    "counties": len(counties),
                    "raised": total.raised,
                    "resolved": total.resolved,
                    "seconds": time.monotonic() - started,
                }
            )
        )
