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


# Real 1×1 pictures (made by Pillow): uploads are checked by decoding them where Pillow is installed
# (relief/uploads.py _verify_image), so a signature followed by junk is refused there.
PNG: bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc8!'\x07\x00\x02\xb6\x01\x054\xa6u\xaa\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG: bytes = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00\x08\x06\x06\x07\x06\x05\x08\x07\x07\x07\t\t\x08\n\x0c\x14\r\x0c\x0b\x0b\x0c\x19\x12\x13\x0f\x14\x1d\x1a\x1f\x1e\x1d\x1a\x1c\x1c $.' \",#\x1c\x1c(7),01444\x1f'9=82<.342\xff\xdb\x00C\x01\t\t\t\x0c\x0b\x0c\x18\r\r\x182!\x1c!22222222222222222222222222222222222222222222222222\xff\xc0\x00\x11\x08\x00\x01\x00\x01\x03\x01\"\x00\x02\x11\x01\x03\x11\x01\xff\xc4\x00\x1f\x00\x00\x01\x05\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\xff\xc4\x00\xb5\x10\x00\x02\x01\x03\x03\x02\x04\x03\x05\x05\x04\x04\x00\x00\x01}\x01\x02\x03\x00\x04\x11\x05\x12!1A\x06\x13Qa\x07\"q\x142\x81\x91\xa1\x08#B\xb1\xc1\x15R\xd1\xf0$3br\x82\t\n\x16\x17\x18\x19\x1a%&'()*456789:CDEFGHIJSTUVWXYZcdefghijstuvwxyz\x83\x84\x85\x86\x87\x88\x89\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xff\xc4\x00\x1f\x01\x00\x03\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\xff\xc4\x00\xb5\x11\x00\x02\x01\x02\x04\x04\x03\x04\x07\x05\x04\x04\x00\x01\x02w\x00\x01\x02\x03\x11\x04\x05!1\x06\x12AQ\x07aq\x13\"2\x81\x08\x14B\x91\xa1\xb1\xc1\t#3R\xf0\x15br\xd1\n\x16$4\xe1%\xf1\x17\x18\x19\x1a&'()*56789:CDEFGHIJSTUVWXYZcdefghijstuvwxyz\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00?\x00\xe4(\xa2\x8a\xf1O\xd3\x0f\xff\xd9"
WEBP: bytes = b"RIFF:\x00\x00\x00WEBPVP8 .\x00\x00\x00\xb0\x01\x00\x9d\x01*\x01\x00\x01\x00\x01@&%\xa0\x02t\xba\x00\x040\x00\x00\xfe\xf1\xdc\x8f\xf8\r\xd7\xc5\xb4\xcb\xff\xbd\x82\xff\xdd\x82\xff\xdd\x82\xff[\x00\x00"
