"""The main pages in English carry no Chinese outside user data: every label, heading, button and
message of the interface is translated. User data (region names, people's names, stored labels an
administrator typed) is allowed; the test data here is in Latin letters so that what is left is the
interface's."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from people import services
from relief.models import Region, User
from tests.people.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
#: the language switch names Chinese in Chinese, on purpose
ALLOWED = {"简体中文"}


class _Text(HTMLParser):
    """Visible text and the attributes a user reads (title, placeholder, aria-label, alt, value of
    buttons); not scripts, styles or the values of form fields (user data)."""

    SKIP = {"script", "style", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        values = dict(attrs)
        for name in ("title", "placeholder", "aria-label", "alt"):
            if values.get(name):
                self.parts.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def chinese_left(html: str, allowed: set[str]) -> set[str]:
    parser = _Text()
    parser.feed(html)
    found = set()
    for part in parser.parts:
        for run in CJK.findall(part):
            if not any(run in a for a in allowed):
                found.add(run)
    return found


@pytest.fixture(params=["county", "township", "province"])
def english(request, client, users):
    household = HouseholdFactory(address="Riverside 3")
    household.head = PersonFactory(household=household, name="Wang Fang")
    household.save(update_fields=["head"])
    record = services.assistance_add(
        actor=users["township"], household=household, category="dibao", start_date=household.created_at.date()
    )
    client.force_login(users[request.param], backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client, household, record


def _data_words() -> set[str]:
    words = set(Region.objects.values_list("name", flat=True)) | set(
        Region.objects.values_list("full_name", flat=True)
    )
    for user in User.objects.all():
        words |= {user.username, user.get_full_name(), str(user)}
    return {w for w in words if w} | ALLOWED


def _nav_links(html: str) -> list[str]:
    nav = html.split("<nav", 1)[1].split("</nav>", 1)[0] if "<nav" in html else ""
    links = re.findall(r'href="(/[^"#?]*)"', nav)
    return sorted(
        {u for u in links if not u.startswith(("/static/", "/admin/", "/accounts/logout", "/i18n/"))}
    )


def test_main_pages_in_english_have_no_chinese_left(english):
    client, household, record = english
    home = client.get("/")
    assert home.status_code == 200
    pages = ["/", *_nav_links(home.content.decode())]
    pages += [
        f"/people/households/{household.pk}/",
        f"/people/households/{household.pk}/visits/new/",
        f"/people/assistances/{record.pk}/",
    ]
    allowed = _data_words()
    left: dict[str, set[str]] = {}
    checked: list[str] = []
    for url in dict.fromkeys(pages):
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        checked.append(url)
        found = chinese_left(response.content.decode(), allowed)
        if found:
            left[url] = found
    assert len(checked) >= 10, checked  # the navigation's pages were reached
    assert not left, "\n".join(f"{url}: {'、'.join(sorted(words))}" for url, words in left.items())


def test_stored_labels_read_in_the_chosen_language():
    from django.utils import translation

    from funds.models import Program
    from relief.stored_labels import stored

    program = Program(code="dibao", name="低保金")  # as funds' migration seeds it
    with translation.override("en"):
        assert str(program) == "Dibao allowance"
        assert stored("件") == " pieces"  # a unit, not the "cases" of a count
        assert stored("自定义物资") == "自定义物资"  # typed by an administrator: as stored
    with translation.override("zh-hans"):
        assert str(program) == "低保金"


def test_scheduled_jobs_in_the_admin_read_in_english(client, users):
    from relief.schedules import schedules_sync

    schedules_sync()
    client.force_login(users["admin"], backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/admin/django_celery_beat/periodictask/").content.decode()
    assert "Refresh the dashboard figures" in page
