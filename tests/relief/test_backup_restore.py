"""A backup made by `manage.py backup` restores, with `manage.py restore`, into a new database that
holds the same register and files and goes on working; a damaged backup or a restore over an existing
register is refused. These are the commands docs/deployment.md gives an operator."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

import tests.workers as workers
from people.models import Household, Person
from tests.factories import PNG
from tests.people.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _manage(database: str, media: Path, *args: str) -> subprocess.CompletedProcess:
    """`manage.py …` in a process of its own, with the production settings on `database`."""
    url = workers.test_database_url()
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "relief.settings",
        "DEBUG": "1",
        "DATABASE_URL": url.replace(f"/{name}", f"/{database}", 1),
        "MEDIA_ROOT": str(media),
        "LANGUAGE_CODE": "zh-hans",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=workers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def new_database():
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    with connection.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield name
    connection.close()
    with connection.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_restores_the_register_and_its_files(tmp_path, settings, new_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    household = HouseholdFactory(address="五里村3组")
    PersonFactory.create_batch(3, household=household)
    photo = default_storage.save("visits/2026/12/炉子.png", ContentFile(PNG))
    households, persons = Household.objects.count(), Person.objects.count()

    call_command("backup", str(tmp_path / "backup"))
    assert {p.name for p in (tmp_path / "backup").iterdir()} == {
        "database.dump",
        "media.tar",
        "manifest.json",
    }

    restored_media = tmp_path / "restored-media"
    result = _manage(new_database, restored_media, "restore", str(tmp_path / "backup"))
    assert result.returncode == 0, result.stderr
    assert "与备份一致" in result.stdout

    # the restored installation: the same register, the same bytes, nothing left to migrate,
    # and it takes new records (the sequences came back with the rows)
    assert (restored_media / photo).read_bytes() == PNG
    check = _manage(new_database, restored_media, "migrate", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    script = (
        "from people.models import Household, Person;"
        "h = Household.objects.get(address='五里村3组');"
        "print(Household.objects.count(), Person.objects.count(), h.members.count());"
        "n = Household.objects.create(household_number='RESTORED-1', region=h.region, address='新户');"
        "print(n.pk > h.pk)"
    )
    shell = _manage(new_database, restored_media, "shell", "--verbosity", "0", "-c", script)
    assert shell.returncode == 0, shell.stderr
    counts, created_after = shell.stdout.split("\n")[:2]
    assert counts.split() == [str(households), str(persons), str(household.members.count())]
    assert created_after == "True"


def test_restore_refuses_a_damaged_backup_and_an_existing_register(tmp_path, settings, new_database):
    settings.MEDIA_ROOT = tmp_path / "media"
    HouseholdFactory()
    call_command("backup", str(tmp_path / "backup"))

    # over the register it came from: refused, nothing touched
    refused = _manage(connection.settings_dict["NAME"], tmp_path / "m", "restore", str(tmp_path / "backup"))
    assert refused.returncode != 0
    assert "已有数据表" in refused.stderr

    # a dump cut short (a copy that stopped half-way): refused before anything is written
    dump = tmp_path / "backup" / "database.dump"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    damaged = _manage(new_database, tmp_path / "m", "restore", str(tmp_path / "backup"))
    assert damaged.returncode != 0
    assert "已损坏" in damaged.stderr
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [new_database])
        assert cur.fetchone()[0] == 1

    # and a backup folder is never written over
    with pytest.raises(Exception, match="已存在"):
        call_command("backup", str(tmp_path / "backup"))
