"""`manage.py generate_reports [--kind daily|weekly] [--region CODE] [--date YYYY-MM-DD]`: make the
reports now (one region, or every region with people), as the morning task does."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from relief.models import Region
from reports.models import Kind
from reports.services import report_generate, reports_generate_all


class Command(BaseCommand):
    help = "Generate the daily or weekly reports (all regions with people, or one region)"

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=Kind.values, default=Kind.DAILY)
        parser.add_argument("--region", default="", help="one region's code (province, city or county)")
        parser.add_argument("--date", default="", help="the day (default: today)")

    def handle(self, *args, kind: str, region: str, date: str, **options):
        day = datetime.date.fromisoformat(date) if date else None
        if region:
            r = Region.objects.filter(code=region).first()
            if r is None or len(r.code) not in (2, 4, 6):
                raise CommandError(f"no province, city or county {region}")
            report = report_generate(region=r, kind=kind, day=day)
            self.stdout.write(f"{report} ({report.get_state_display()})")
        else:
            self.stdout.write(f"{reports_generate_all(kind=kind, day=day)} reports")
