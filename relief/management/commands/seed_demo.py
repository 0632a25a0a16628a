import time

from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from relief.demo import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "Generate a realistic demo dataset in Chinese (one province, demo users of every role)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--people", type=int, default=2000, help="number of people to generate (default 2000)"
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed, for a repeatable dataset")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if demo users already exist")

    def handle(self, *args, **options):
        from relief.models import User

        if options["if_empty"] and User.objects.filter(username="admin").exists():
            self.stdout.write("demo data already present; skipping (drop --if-empty to add more)")
            self._print_logins()
            return
        started = time.monotonic()
        seed_all(people=options["people"], seed=options["seed"], log=self.stdout.write)
        self._vacuum()
        self.stdout.write(self.style.SUCCESS(f"demo data ready in {time.monotonic() - started:.1f}s"))
        self._print_logins()

    def _vacuum(self):
        """VACUUM ANALYZE after the bulk load, as autovacuum would do some minutes later: until then a
        COPY-loaded table has no visibility map and no statistics, so an index-only scan reads the
        heap for every row (the today page's count of visits due took 300 ms instead of 15 ms in a
        township of 1,000,000 people; bench/README.md, load test of 200 users). Not possible inside a
        transaction (a test's): skipped there."""
        from django.db import connection

        if connection.in_atomic_block or connection.vendor != "postgresql":
            return
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        self.stdout.write(f"vacuum analyze: {time.monotonic() - started:.1f}s")

    def _print_logins(self):
        from relief.models import User

        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for user in (
            User.objects.filter(
                username__in=[
                    "admin",
                    "province",
                    "city",
                    "county",
                    "county2",
                    "township",
                    "village",
                    "api-client",
                ]
            )
            .select_related("region")
            .order_by("id")
        ):
            region = (
                f"{user.region.full_name or user.region.name} ({user.region.gb_code})"
                if user.region
                else "全部"
            )
            self.stdout.write(f"  {user.username:<11} {user.get_role_display():<14} {region}")
        api = User.objects.filter(username="api-client").first()
        if api:
            token, _ = Token.objects.get_or_create(user=api)
            self.stdout.write(f"  API token of api-client: {token.key}")
