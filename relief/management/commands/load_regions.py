from django.core.management.base import BaseCommand

from relief.services import regions_load_stdnum


class Command(BaseCommand):
    help = "Load current provinces, cities and counties (GB/T 2260) from python-stdnum's cn/loc.dat."

    def add_arguments(self, parser):
        parser.add_argument(
            "--province", action="append", default=[], help="only this province (2-digit code); may repeat"
        )

    def handle(self, *args, **options):
        created = regions_load_stdnum(provinces=options["province"] or None)
        self.stdout.write(self.style.SUCCESS(f"regions: {created} created or updated"))
