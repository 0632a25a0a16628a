"""No personal number in any log: a search by ID number, a failed create with a duplicate ID number
(PostgreSQL logs an error), page views and the access log lines, with every Python logger captured
at DEBUG (SQL included) and, where the database server's log file is readable here, that file too."""

from __future__ import annotations

import logging
import os
import re

import pytest
from django.db import connection

from relief.log_scrub import scrub
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# session keys, hashes and tokens (random letters and digits, 32 or more): a run of digits inside one
# is no personal number (a session hash ending "…c13479087161" once failed this test by chance)
RANDOM_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{32,}(?![0-9A-Za-z])")


def _server_log() -> tuple[str | None, int]:
    """The PostgreSQL server's current log file and its size, when this process can read it."""
    with connection.cursor() as cur:
        try:
            cur.execute("SELECT pg_current_logfile(), current_setting('data_directory')")
        except Exception:
            return None, 0
        name, data_dir = cur.fetchone()
    if not name:
        return None, 0
    path = name if os.path.isabs(name) else os.path.join(data_dir, name)
    if not os.access(path, os.R_OK):
        return None, 0
    return path, os.path.getsize(path)


def test_no_id_or_mobile_number_in_any_log(caplog, as_user, users, api, regions):
    household = household_with_head("510121001001", name="张大山")
    head = household.head
    id_number, phone = head.id_number, head.phone
    pg_log, pg_offset = _server_log()

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # SQL with its parameters goes to the log too
    try:
        client = as_user(users["county"])
        assert client.post("/people/", {"q": id_number}, follow=True).status_code == 200  # by ID number
        assert client.get("/people/", {"q": phone}, follow=True).status_code == 200  # an old link
        assert client.get(f"/people/households/{household.pk}/").status_code == 200  # a page view
        api.force_authenticate(users["county"])
        duplicate = api.post(
            "/api/v1/persons/",
            {
                "household": household_with_head("510121001001").pk,
                "name": "重复",
                "id_number": id_number,
                "relation": "other",
                "phone": phone,
            },
        )
        assert duplicate.status_code == 400  # the database refused the duplicate ID number
        # the access log lines of runserver (django.server) and of a failing request
        logging.getLogger("django.server").info('"%s" %s %s', f"GET /people/?q={id_number} HTTP/1.1", 200, 10)
        logging.getLogger("django.request").warning("Not Found: /people/%s/", phone)
        try:
            raise ValueError(f"bad id {id_number}")
        except ValueError:
            logging.getLogger("relief").exception("failed")
    finally:
        connection.force_debug_cursor = False

    captured = RANDOM_TOKEN.sub("<token>", caplog.text + "\n".join(r.getMessage() for r in caplog.records))
    assert "SELECT" in captured  # SQL was captured, so its parameters were looked at
    assert not ID_NUMBER.findall(captured)
    assert not MOBILE.findall(captured)
    if pg_log:
        with open(pg_log, encoding="utf-8", errors="replace") as f:
            f.seek(pg_offset)
            server = RANDOM_TOKEN.sub("<token>", f.read())
        assert not ID_NUMBER.findall(server) and not MOBILE.findall(server)


def test_the_gunicorn_access_log_is_scrubbed(capsys):
    """gunicorn.conf.py (used by the Dockerfile and docker-compose.yml) logs through a scrubbing logger."""
    import runpy

    from django.conf import settings
    from gunicorn.config import Config

    conf = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", "-")
    log = conf["logger_class"](cfg)
    log.access_log.info('127.0.0.1 - - "GET /people/?q=510121193112174250&phone=13812345678 HTTP/1.1" 200')
    log.error("worker failed on /people/?q=%s", "510121193112174250")
    out = capsys.readouterr()
    lines = out.out + out.err
    assert "/people/?q=" in lines
    assert not ID_NUMBER.findall(lines) and not MOBILE.findall(lines)


def test_scrub_leaves_other_numbers():
    assert scrub("户编号 2026001 金额 123456789") == "户编号 2026001 金额 123456789"
    assert scrub("id 51012119311217425X tel 13812345678") == "id [已隐去] tel [已隐去]"
