"""Recompute every person's next visit due now, in this process: `manage.py refresh_next_visits --all`.

The same work as the nightly task people.refresh_next_visits, county by county, for an operator: run
it once after upgrading to the version that stores Person.next_visit_due (until then the stored
dates are empty and the visit-overdue sweep finds no one), or after a bulk change made outside the
services.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from people import services
from relief.alerts.sweeps import counties_under


class Command(BaseCommand):
    help = "按探访规则重新计算每个人的下次应探访日期（按县逐一执行）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--region", action="append", dest="regions", default=[], help="区划代码（可重复）"
        )
        parser.add_argument("--all", action="store_true", help="全部县")

    def handle(self, *args, **options):
        if not options["all"] and not options["regions"]:
            raise CommandError("请指定 --region 区划代码，或 --all 计算全部县")
        counties = (
            counties_under(None)
            if options["all"]
            else sorted({c for code in options["regions"] for c in counties_under(code)})
        )
        total = 0
        for county in counties:
            started = time.monotonic()
            changed = services.person_refresh_next_visit(region_code=county)
            total += changed
            if changed:
                self.stdout.write(f"{county}\t{changed}\t{time.monotonic() - started:.1f}s")
        self.stdout.write(f"{len(counties)} counties, {total} people updated")
