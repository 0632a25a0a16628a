"""Staff, officials and API clients for the 200-user load test (bench/load.py, bench/locustfile.py).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_load .venv/bin/python bench/load_users.py \
        --any-db [--out /tmp/ww_load_users.json]

A bench fixture, not part of the app: after `seed_demo`, it makes one account per simulated user
(`load-<role>-<n>`, password of the demo users) so that 200 simulated users are 200 accounts, not
the 8 demo users shared, each scoped to a region that has people: village workers to villages,
township staff to townships, county staff to counties, city and province officials, and API client
systems (one token each, scoped to a county). The password is hashed once and the same hash stored
on every account: hashing 200 times with PBKDF2 would take minutes and measures nothing. Running it
again replaces the `load-` accounts. Writes the accounts (username, role, region, token) as JSON
for the locustfile.
"""

# ruff: noqa: S108, S311  (bench fixture: a fixed path, random regions, nothing secret)
from __future__ import annotations

import argparse
import json
import random
import sys

from _setup import setup

COUNTS = {"village": 40, "township": 80, "county": 35, "city": 15, "province": 20, "api_client": 10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/tmp/ww_load_users.json")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    setup()

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from people.models import Household
    from relief.demo import DEMO_PASSWORD
    from relief.models import Role, User

    rng = random.Random(args.seed)
    # lint: allow-unscoped (bench fixture: every region that has households)
    codes = sorted(set(Household.objects.values_list("region_id", flat=True).distinct()))
    if not codes:
        sys.exit("no households: run seed_demo first")
    villages = codes
    townships = sorted({c[:9] for c in codes})
    counties = sorted({c[:6] for c in codes})
    cities = sorted({c[:4] for c in codes})
    regions = {
        "village": villages,
        "township": townships,
        "county": counties,
        "city": cities,
        "province": ["51"],
        "api_client": counties,
    }
    password = make_password(DEMO_PASSWORD)
    accounts = []
    with transaction.atomic():
        User.objects.filter(username__startswith="load-").delete()
        users = []
        for role, count in COUNTS.items():
            pool = regions[role]
            picks = (
                rng.sample(pool, count) if len(pool) >= count else [pool[i % len(pool)] for i in range(count)]
            )
            for n, code in enumerate(picks, 1):
                users.append(
                    User(
                        username=f"load-{role.replace('_', '')}-{n:03d}",
                        role=role,
                        region_id=code,
                        password=password,
                        first_name=f"压测{Role(role).label}",
                        api_can_write=False,
                    )
                )
        User.objects.bulk_create(users)
        for user in User.objects.filter(username__startswith="load-").order_by("username"):
            token = Token.objects.create(user=user).key if user.role == Role.API_CLIENT else None
            accounts.append(
                {"username": user.username, "role": user.role, "region": user.region_id, "token": token}
            )
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(accounts, fh, ensure_ascii=False, indent=1)
    by_role = {r: sum(a["role"] == r for a in accounts) for r in COUNTS}
    print(f"{len(accounts)} accounts {by_role} -> {args.out}")


if __name__ == "__main__":
    main()
