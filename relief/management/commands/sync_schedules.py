from django.core.management.base import BaseCommand

from relief.schedules import schedules_sync


class Command(BaseCommand):
    help = "Write the periodic tasks (relief/schedules.py and the apps') into django-celery-beat."

    def handle(self, *args, **options):
        self.stdout.write(f"schedules: {schedules_sync()} synced")
