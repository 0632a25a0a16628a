from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from relief.models import PolicyParameter
from relief.policy import MissingPolicyParameter, effective_parameters, policy_value
from relief.services import policy_set
from relief.workdays import add_working_days, working_days_between

pytestmark = pytest.mark.django_db
D = datetime.date


def test_national_defaults_are_loaded():
    assert policy_value("dibao_edge_multiple", "510121") == Decimal("1.5")
    assert policy_value("station_stay_limit_days", None) == Decimal("10")


def test_nearest_enclosing_region_wins_and_dates_apply(users, regions):
    admin = users["admin"]
    policy_set(
        actor=admin,
        key="dibao_standard_urban",
        value=Decimal("830"),
        region=regions["province"],
        valid_from=D(2025, 1, 1),
    )
    policy_set(
        actor=admin,
        key="dibao_standard_urban",
        value=Decimal("850"),
        region=regions["city"],
        valid_from=D(2025, 7, 1),
    )
    policy_set(
        actor=admin,
        key="dibao_standard_urban",
        value=Decimal("900"),
        region=regions["city"],
        valid_from=D(2026, 7, 1),
    )
    village = "510121001001"
    assert policy_value("dibao_standard_urban", village, D(2025, 3, 1)) == Decimal("830")
    assert policy_value("dibao_standard_urban", village, D(2025, 8, 1)) == Decimal("850")
    assert policy_value("dibao_standard_urban", village, D(2026, 8, 1)) == Decimal("900")
    assert policy_value("dibao_standard_urban", "510129", D(2025, 8, 1)) == Decimal("850")  # same city
    assert policy_value("dibao_standard_urban", "14", D(2025, 8, 1)) == Decimal("800")  # national default
    rows = {r["key"]: r for r in effective_parameters(village, D(2026, 8, 1))}
    assert rows["dibao_standard_urban"]["value"] == Decimal("900")
    assert rows["dibao_standard_urban"]["source_region"] == "5101"


def test_missing_value_is_an_error_not_a_guess():
    PolicyParameter.objects.filter(key="alert_due_days").delete()
    with pytest.raises(MissingPolicyParameter, match="预警处理时限"):
        policy_value("alert_due_days", "510121")


def test_only_administrators_set_parameters(users, regions):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        policy_set(
            actor=users["province"],
            key="dibao_standard_urban",
            value=Decimal("1"),
            region=regions["province"],
            valid_from=D(2026, 1, 1),
        )


def test_effective_parameters_api_for_a_region_outside_scope_is_404(api, users):
    api.force_authenticate(users["county"])
    assert api.get("/api/v1/policy-parameters/effective/", {"region": "510129"}).status_code == 404
    r = api.get("/api/v1/policy-parameters/effective/", {"region": "510121001"})
    assert r.status_code == 200
    assert {row["key"] for row in r.json()} >= {"dibao_standard_urban", "station_stay_limit_days"}


def test_policy_page_shows_values(as_user, users):
    body = as_user(users["township"]).get("/policy/").content.decode()
    assert "救助站站内救助期限" in body
    assert "10 天" in body


# --- Working days -------------------------------------------------------------------------------


def test_working_days_skip_the_national_day_holiday():
    # 2026-09-30 is a Wednesday; 1–7 October 2026 is the National Day holiday.
    deadline = add_working_days(D(2026, 9, 30), 1)
    assert deadline.date == D(2026, 10, 8)
    assert deadline.exact


def test_make_up_workdays_count():
    # Sunday 2026-09-20 is a make-up working day before the Mid-Autumn/National Day holiday.
    deadline = add_working_days(D(2026, 9, 19), 1)
    assert deadline.date == D(2026, 9, 20)


def test_unknown_year_counts_weekdays_and_says_so():
    deadline = add_working_days(D(2026, 12, 30), 5)
    assert deadline.date == D(2027, 1, 6)
    assert not deadline.exact
    count, exact = working_days_between(D(2027, 1, 1), D(2027, 1, 8))
    assert count == 5
    assert not exact


def test_everyone_sees_the_values_that_apply_to_their_region(users, regions):
    rows = {
        where: PolicyParameter.objects.create(
            key="alert_due_days", region=regions.get(where), value=Decimal(n), valid_from=D(2031, 1, 1)
        )
        for n, where in enumerate(["province", "county", "village", "other_county"], start=2)
    }
    seen = set(PolicyParameter.objects.visible_to(users["township"]).filter(valid_from=D(2031, 1, 1)))
    assert seen == {rows["province"], rows["county"], rows["village"]}  # above, and inside; not beside
    national = PolicyParameter.objects.filter(region__isnull=True)
    assert set(national) <= set(PolicyParameter.objects.visible_to(users["village"]))
    assert PolicyParameter.objects.visible_to(users["admin"]).count() == PolicyParameter.objects.count()


def test_every_national_default_is_a_value_its_parameter_takes():
    from relief.policy import PARAMETERS, check_value

    defaults = {p.key: p.value for p in PolicyParameter.objects.filter(region__isnull=True)}
    assert set(PARAMETERS) <= set(defaults)
    assert {k: check_value(k, v) for k, v in defaults.items() if check_value(k, v)} == {}


def test_admin_chooses_the_key_and_refuses_a_value_that_cannot_apply(as_user, users):
    client = as_user(users["admin"])
    form = client.get("/admin/relief/policyparameter/add/").content.decode()
    assert '<select name="key"' in form and 'value="dibao_standard_urban"' in form
    before = PolicyParameter.objects.count()
    cases = [
        ("dibao_urban", "800", "选择一个有效的选项"),  # a mistyped key: not one of the choices
        ("funds_separation_of_duties", "2", "只能取1（是）或0（否）"),
        ("visit_interval_key_days", "0.5", "须为不小于1的整数"),
        ("dibao_standard_urban", "-1", "不能为负数"),
    ]
    for key, value, message in cases:
        response = client.post(
            "/admin/relief/policyparameter/add/",
            {"key": key, "value": value, "valid_from": "2026-12-01", "note": ""},
        )
        assert response.status_code == 200 and message in response.content.decode(), key
    assert PolicyParameter.objects.count() == before
    response = client.post(
        "/admin/relief/policyparameter/add/",
        {"key": "visit_interval_key_days", "value": "14", "valid_from": "2026-12-01", "note": "寒冬加密"},
    )
    assert response.status_code == 302 and PolicyParameter.objects.count() == before + 1
