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
        self.stdout.write(self.style.SUCCESS(f"demo data ready in {time.monotonic() - started:.1f}s"))
        self._print_logins()

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
