"""Factories shared by every app's tests (factory_boy + Faker zh_CN). App-specific factories live in
tests/<app>/factories.py."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password
from faker import Faker

from relief.models import Alert, Region, Role, User
from relief.regions import Level

fake = Faker("zh_CN")
PASSWORD = "pw-for-tests-123"


def password_hash() -> str:
    return make_password(PASSWORD)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "51"
    name = factory.LazyAttribute(lambda o: f"区划{o.code}")
    level = factory.LazyAttribute(lambda o: {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}[len(o.code)])
    parent = factory.LazyAttribute(
        lambda o: (
            None if len(o.code) == 2 else RegionFactory(code=o.code[: {4: 2, 6: 4, 9: 6, 12: 9}[len(o.code)]])
        )
    )
    full_name = factory.LazyAttribute(lambda o: o.name)


def region(code: str, name: str | None = None) -> Region:
    """The region with `code`, created with its ancestors if needed."""
    # one look-up when it exists (the factory would first build the whole chain of ancestors)
    return Region.objects.filter(code=code).first() or RegionFactory(
        code=code, **({"name": name} if name else {})
    )


def regions_tree(names: dict[str, str]) -> dict[str, Region]:
    """The regions {code: name}, each with its ancestors, in two queries where none exists yet (one
    look-up, one insert): the same rows `region()` makes one by one. Returns {code: Region}."""
    codes = set(names)
    for code in names:
        codes.update(code[:n] for n in (2, 4, 6, 9) if n < len(code))
    found = Region.objects.in_bulk(codes)
    missing = [
        Region(
            code=code,
            name=(name := names.get(code, f"区划{code}")),
            level={2: 1, 4: 2, 6: 3, 9: 4, 12: 5}[len(code)],
            parent_id=None if len(code) == 2 else code[: {4: 2, 6: 4, 9: 6, 12: 9}[len(code)]],
            full_name=name,
        )
        for code in sorted(codes - set(found), key=len)
    ]
    Region.objects.bulk_create(missing)
    found.update((r.code, r) for r in missing)
    return {code: found[code] for code in names}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyFunction(fake.name)
    role = Role.COUNTY
    region = factory.LazyAttribute(lambda o: None if o.role == Role.ADMIN else region("510121"))
    password = factory.django.Password(PASSWORD)
    is_superuser = factory.LazyAttribute(lambda o: o.role == Role.ADMIN)
    is_staff = factory.LazyAttribute(lambda o: o.role == Role.ADMIN)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    kind = "test.kind"
    region = factory.LazyFunction(lambda: region("510121"))
    message = factory.LazyFunction(lambda: fake.sentence())
    dedup_key = factory.Sequence(lambda n: f"test:{n}")


__all__ = [
    "PASSWORD",
    "AlertFactory",
    "Level",
    "RegionFactory",
    "UserFactory",
    "fake",
    "password_hash",
    "region",
    "regions_tree",
]
