from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from relief.models import Region
from relief.regions import Level, ancestor_codes, full_code, level_of, stdnum_divisions
from relief.services import regions_load_stdnum


def test_current_names_and_placeholders_from_stdnum(tmp_path: Path):
    dat = tmp_path / "loc.dat"
    dat.write_text(
        '51 province="四川省"\n'
        '  0000 county="四川省"\n'
        '  0100 county="成都市"\n'
        '  0101 county="[1983-]市辖区"\n'
        '  0104 county="[1990-]锦江区"\n'
        '  0122 county="[-2015]双流县"\n'
        '  0400 county="[-1986]渡口市,[1987-]攀枝花市"\n'
        '  0421 county="米易县"\n',
        encoding="utf-8",
    )
    entries = {e.code: e for e in stdnum_divisions(dat)}
    assert set(entries) == {"51", "5101", "510104", "5104", "510421"}
    assert entries["5104"].name == "攀枝花市"  # the renamed city takes its current name
    assert entries["510104"].parent == "5101"
    assert entries["510421"].level == Level.COUNTY


def test_real_table_has_every_province_and_current_counties():
    entries = list(stdnum_divisions())
    provinces = {e.code: e.name for e in entries if e.level == Level.PROVINCE}
    assert provinces["51"] == "四川省"
    assert provinces["14"] == "山西省"
    assert provinces["13"] == "河北省"
    codes = {e.code for e in entries}
    assert "510122" not in codes  # 双流县 became 双流区 in 2015
    assert "510116" in codes
    # every parent exists
    assert all(e.parent is None or e.parent in codes for e in entries)


@pytest.mark.django_db
def test_load_regions_is_idempotent_and_builds_the_tree():
    n = regions_load_stdnum(provinces=["51"])
    assert n == Region.objects.count()
    assert regions_load_stdnum(provinces=["51"]) == n
    assert Region.objects.count() == n
    jintang = Region.objects.get(code="510121")
    assert jintang.name == "金堂县"
    assert jintang.parent_id == "5101"
    assert jintang.full_name == "四川省 成都市 金堂县"
    assert jintang.gb_code == "510121"
    assert Region.objects.get(code="51").gb_code == "510000"


def test_code_helpers():
    assert level_of("510121001") == Level.TOWNSHIP
    assert full_code("5101") == "510100"
    assert full_code("510121001") == "510121001000"
    assert ancestor_codes("510121001002") == ["51", "5101", "510121", "510121001", "510121001002"]
    with pytest.raises(ValueError):
        level_of("5101210")


@pytest.mark.django_db
def test_region_code_format_is_enforced_by_the_database(regions):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(code="51012", name="坏代码", level=Level.COUNTY)


@pytest.mark.django_db
def test_prefix_query_uses_an_index(regions):
    """Scoping is a prefix match: PostgreSQL must be able to answer it from an index."""
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        cur.execute("EXPLAIN SELECT * FROM relief_alert WHERE region_code LIKE '510121%%'")
        plan = "\n".join(r[0] for r in cur.fetchall())
        cur.execute("RESET enable_seqscan")
    assert "Index" in plan, plan
