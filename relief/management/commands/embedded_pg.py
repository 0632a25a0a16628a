from django.conf import settings
from django.core.management.base import BaseCommand

from relief import embedded_db


class Command(BaseCommand):
    help = "Show or stop the embedded PostgreSQL server (used when DATABASE_URL is not set)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, **options):
        if options["action"] == "stop":
            stopped = embedded_db.stop(settings.BASE_DIR)
            self.stdout.write("stopped" if stopped else "not running")
        else:
            self.stdout.write(
                f"embedded: {settings.EMBEDDED_POSTGRES}; data: {embedded_db.data_dir(settings.BASE_DIR)}"
            )
