"""The five-level statistical division codes: the vendored data, `load_divisions` (idempotent,
scoped, retiring instead of deleting, keeping former names), and what a retired code means for
records, pages, pickers and the roster's village names."""

from __future__ import annotations

import datetime
import gzip
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from people.forms import HouseholdForm
from people.roster.villages import VillageResolver
from relief.divisions import DATA_DIR, FILES, read_divisions
from relief.models import Region, RegionName, Role
from relief.regions import Level, short_name
from relief.services import regions_load_divisions, regions_load_stdnum
from tests.factories import UserFactory
from tests.people.factories import household_with_head

HEADERS = {
    "provinces": "code,name",
    "cities": "code,name,provinceCode",
    "areas": "code,name,cityCode,provinceCode",
    "streets": "code,name,areaCode,provinceCode,cityCode",
    "villages": "code,name,streetCode,provinceCode,cityCode,areaCode",
}
SLICE = {
    "provinces": ["11,北京市", "51,四川省"],
    "cities": ["1101,市辖区,11", "5101,成都市,51"],
    "areas": ["110101,东城区,1101,11", "510121,金堂县,5101,51"],
    "streets": [
        "110101001,东华门街道,110101,11,1101",
        "510121001,赵镇街道,510121,51,5101",
        "510121100,五里镇,510121,51,5101",
    ],
    "villages": [
        "110101001001,多福巷社区居委会,110101001,11,1101,110101",
        "510121001015,玉龙街社区居委会,510121001,51,5101,510121",
        "510121100001,五里村村民委员会,510121100,51,5101,510121",
        "510121100002,黄坪村委会,510121100,51,5101,510121",
    ],
}


def write_slice(directory: Path, **changes: list[str]) -> Path:
    """A small copy of the package's files (plain CSV), with some files replaced."""
    directory.mkdir(exist_ok=True)
    for stem in FILES:
        lines = [HEADERS[stem], *changes.get(stem, SLICE[stem])]
        (directory / f"{stem}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def load(directory: Path, *prefixes: str, today: datetime.date | None = None) -> dict[str, int]:
    return regions_load_divisions(prefixes=prefixes, directory=directory, today=today).counts


# --- the vendored data ---------------------------------------------------------------------------


def test_vendored_files_are_sorted_and_well_formed():
    """The loader finds one county's villages as one slice of the file: that needs sorted codes."""
    for stem, length in zip(FILES, (2, 4, 6, 9, 12), strict=True):
        with gzip.open(DATA_DIR / f"{stem}.csv.gz", "rt", encoding="utf-8") as f:
            codes = [line.split(",", 1)[0] for line in f.read().splitlines()[1:]]
        assert codes == sorted(codes), stem
        assert len(codes) == len(set(codes)), stem
        assert all(len(c) == length and c.isdigit() for c in codes), stem
    assert (DATA_DIR / "README.md").read_text(encoding="utf-8").count("china-division") >= 1


def test_one_county_of_the_real_data_has_its_townships_and_villages():
    divisions = read_divisions(["510121"])
    assert divisions["510121"] == ("金堂县", "5101")
    assert divisions["5101"] == ("成都市", "51") and divisions["51"] == ("四川省", None)
    townships = [c for c in divisions if len(c) == 9]
    villages = [c for c in divisions if len(c) == 12]
    assert divisions["510121001"][0] == "赵镇街道"
    assert len(townships) >= 10 and len(villages) >= 100
    assert all(divisions[v][1] == v[:9] for v in villages)
    assert all(c.startswith(("510121", "5101", "51")) for c in divisions)
    # a placeholder city (北京 市辖区) is left out: its districts hang from the province
    beijing = read_divisions(["11"])
    assert "1101" not in beijing and beijing["110101"] == ("东城区", "11")


def test_short_names_of_committees():
    assert short_name("五里村村民委员会") == "五里村"
    assert short_name("黄坪村委会") == "黄坪村"
    assert short_name("多福巷社区居委会") == "多福巷社区"
    assert short_name("赵镇街道") == "赵镇街道"


# --- loading ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_builds_the_tree_and_a_second_run_changes_nothing(tmp_path):
    data = write_slice(tmp_path / "v1")
    counts = load(data)
    assert counts["created"] == 2 + 1 + 2 + 3 + 4  # the placeholder city 1101 is not a region
    village = Region.objects.get(code="510121100001")
    assert village.level == Level.VILLAGE and village.parent_id == "510121100"
    assert village.full_name == "四川省 成都市 金堂县 五里镇 五里村村民委员会"
    assert Region.objects.get(code="110101").parent_id == "11"

    out = StringIO()
    call_command("load_divisions", "--source", str(data), stdout=out)
    assert "nothing to change" in out.getvalue()
    assert "12 unchanged" in out.getvalue()


@pytest.mark.django_db
def test_a_code_that_disappears_is_retired_and_a_renamed_one_keeps_its_former_name(tmp_path):
    load(write_slice(tmp_path / "v1"))
    household = household_with_head("510121100002", name="刘长贵")
    v2 = write_slice(
        tmp_path / "v2",
        streets=[*SLICE["streets"][:2], "510121100,五里街道,510121,51,5101"],
        villages=SLICE["villages"][:3],  # 黄坪村 merged away
    )
    day = datetime.date(2026, 3, 1)
    counts = load(v2, today=day)
    assert counts["retired"] == 1 and counts["renamed"] == 1
    assert counts["updated"] == 1  # the renamed township's village: its full name has the new name

    gone = Region.objects.get(code="510121100002")
    assert gone.retired_on == day and gone.name == "黄坪村委会"
    assert "已撤销" in str(gone)
    renamed = Region.objects.get(code="510121100")
    assert renamed.name == "五里街道"
    assert list(renamed.former_names.values_list("name", "until")) == [("五里镇", day)]
    assert Region.objects.get(code="510121100001").full_name.endswith("五里街道 五里村村民委员会")

    # the household in the retired village is still there and readable, marked as such
    household.refresh_from_db()
    assert household.region_id == "510121100002"
    county_user = UserFactory(role=Role.COUNTY, region=Region.objects.get(code="510121"))
    from django.test import Client

    client = Client()
    client.force_login(county_user)
    page = client.get(reverse("people:household-detail", args=[household.pk]))
    assert page.status_code == 200
    assert "黄坪村委会（已撤销）" in page.content.decode()

    # scoped pages still work: the township lists the retired village marked, with its former name
    page = client.get(reverse("region-detail", args=["510121100"])).content.decode()
    assert "黄坪村委会" in page and "已撤销" in page and "五里镇" in page
    assert client.get(reverse("region-detail", args=["510121100002"])).status_code == 200

    # pickers and new roster rows do not offer it
    form = HouseholdForm(user=county_user)
    offered = set(form.fields["region"].queryset.values_list("code", flat=True))
    assert "510121100001" in offered and "510121100002" not in offered
    edit = HouseholdForm(user=county_user, instance=household)
    assert "510121100002" in set(edit.fields["region"].queryset.values_list("code", flat=True))
    resolver = VillageResolver(county_user)
    resolver.load({("黄坪村", "", ""), ("510121100002", "", "")})
    for value in ("黄坪村", "510121100002"):
        with pytest.raises(Exception, match="已撤销"):
            resolver.resolve(value, "")

    # a third run of the same data changes nothing; the first data again restores the village
    again = regions_load_divisions(directory=v2)
    assert again.changes == 0 and again.counts["unchanged"] == 11  # the retired one stays retired
    counts = load(write_slice(tmp_path / "v1"))
    assert counts["restored"] == 1 and counts["renamed"] == 1
    assert Region.objects.get(code="510121100002").retired_on is None
    assert RegionName.objects.filter(region_id="510121100").count() == 2


@pytest.mark.django_db
def test_a_province_load_retires_nothing_outside_it_nor_what_it_never_loaded(tmp_path):
    load(write_slice(tmp_path / "v1"))
    Region.objects.create(code="510199", name="历史县", level=Level.COUNTY, parent_id="5101")  # stdnum's
    sichuan_only = write_slice(
        tmp_path / "v2",
        provinces=["51,四川省"],
        cities=["5101,成都市,51"],
        areas=["510121,金堂县,5101,51"],
        streets=SLICE["streets"][1:],
        villages=SLICE["villages"][1:3],
    )
    counts = load(sichuan_only, "51")
    assert counts["retired"] == 1  # 黄坪村 only
    assert Region.objects.get(code="110101001001").retired_on is None  # Beijing is not in scope
    assert Region.objects.get(code="510199").retired_on is None  # never listed by this data
    assert Region.objects.get(code="510121100002").retired_on is not None


@pytest.mark.django_db
def test_stdnum_reload_keeps_what_the_division_data_loaded(tmp_path):
    load(write_slice(tmp_path / "v1", areas=["110101,东城区,1101,11", "510121,金堂县新名,5101,51"]))
    regions_load_stdnum(provinces=["51"])
    assert Region.objects.get(code="510121").name == "金堂县新名"
    assert Region.objects.get(code="510129").name == "大邑县"  # stdnum still adds what the data lacks


@pytest.mark.django_db
def test_roster_names_match_official_committee_names(tmp_path):
    load(write_slice(tmp_path / "v1"))
    user = UserFactory(role=Role.COUNTY, region=Region.objects.get(code="510121"))
    resolver = VillageResolver(user)
    places = {("五里村", "", ""), ("五里", "五里镇", ""), ("黄坪村", "", ""), ("玉龙街社区", "", "")}
    resolver.load(places)
    assert resolver.resolve("五里村", "").code == "510121100001"
    assert resolver.resolve("五里", "五里镇").code == "510121100001"
    assert resolver.resolve("黄坪村", "").code == "510121100002"
    assert resolver.resolve("玉龙街社区", "").code == "510121001015"


@pytest.mark.django_db
def test_load_divisions_refuses_a_bad_scope():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a province"):
        call_command("load_divisions", "--province", "5", stdout=StringIO())
