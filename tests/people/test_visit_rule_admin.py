"""The visit-rule admin form: every field chosen from its list, and a rule that can never apply
(or never compute its interval) refused with the reason, not saved to do nothing."""

from __future__ import annotations

import pytest

from people.models import VisitRule
from relief.models import PolicyParameter
from tests.conftest import login

pytestmark = pytest.mark.django_db

URL = "/admin/people/visitrule/add/"


def _post(client, **fields):
    body = {"name": "测试规则", "active": "on", "interval_days": 30, **fields}
    return client.post(URL, {k: v for k, v in body.items() if v is not None})


@pytest.fixture
def admin_client(client, users):
    return login(client, users["admin"])


def test_fields_are_choices(admin_client):
    page = admin_client.get(URL).content.decode()
    for name in ("category", "tekun_mode", "flag", "interval_key"):
        assert f'<select name="{name}"' in page, name
    assert 'name="cohort"' in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"flag": "is_orphan", "min_age": 18}, "min_age", "只适用于未满18周岁的儿童"),
        ({"flag": "is_left_behind_child", "min_age": 16}, "min_age", "未满16周岁"),
        ({"flag": "is_orphan", "lives_alone": "on"}, "lives_alone", "不能与“须独居”同时选择"),
        ({"min_age": 80, "max_age": 60}, "max_age", "年龄上限须大于年龄下限"),
        ({"tekun_mode": "dispersed"}, "tekun_mode", "只有特困类别可以填写供养方式"),
        ({"interval_days": 400}, "interval_days", "1到366天"),
        ({"max_age": 200}, "max_age", "不能超过130周岁"),
        ({"category": "dibao_x"}, "category", "不在可用的选项中"),
        (
            {"interval_key": "visit_interval_weekly", "interval_days": None},
            "interval_key",
            "不在可用的选项中",
        ),
    ],
)
def test_a_rule_that_cannot_apply_is_refused(admin_client, fields, field, message):
    response = _post(admin_client, **fields)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert message in " ".join(errors[field]) or message in str(errors), errors
    assert not VisitRule.objects.filter(name="测试规则").exists()


def test_an_interval_whose_policy_value_is_not_set_is_refused(admin_client):
    PolicyParameter.objects.filter(key="visit_interval_key_days").delete()
    response = _post(admin_client, interval_key="visit_interval_key_days", interval_days=None, cold_wave=None)
    errors = response.context["adminform"].form.errors
    assert "未设置这项政策参数" in " ".join(errors["interval_key"])
    PolicyParameter.objects.filter(key="visit_interval_cold_wave_days").delete()
    response = _post(admin_client, cold_wave="on")
    assert "cold_wave" in response.context["adminform"].form.errors


def test_a_rule_that_can_apply_is_saved(admin_client):
    response = _post(
        admin_client,
        category="tekun",
        tekun_mode="dispersed",
        min_age=0,
        max_age=18,
        flag="is_orphan",
        cold_wave="on",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert VisitRule.objects.filter(name="测试规则", tekun_mode="dispersed").exists()
