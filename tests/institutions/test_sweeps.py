"""Hazards past their rectification deadline: an alert supervised one level up from the start."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from institutions import services
from institutions.models import Hazard, HazardSeverity
from institutions.services import MAJOR_HAZARD_ALERT
from institutions.sweeps import HAZARD_OVERDUE
from relief.alerts.sweeps import sweep_county
from relief.models import Alert, AlertStatus, Severity
from tests.conftest import HOME_COUNTY, OTHER_COUNTY
from tests.institutions.factories import InstitutionFactory, evidence

pytestmark = pytest.mark.django_db


def raise_hazard(actor, institution, *, days_ago: int, severity=HazardSeverity.GENERAL, title="电线私拉乱接"):
    return services.hazard_raise(
        actor=actor,
        institution=institution,
        title=title,
        severity=severity,
        found_on=timezone.localdate() - datetime.timedelta(days=days_ago),
    )


def test_overdue_hazard_raises_one_supervised_alert_and_resolves_when_rectified(
    users, institution, other_institution
):
    late = raise_hazard(users["county"], institution, days_ago=20)  # general: 7 days to fix
    raise_hazard(users["county"], institution, days_ago=2, title="灭火器过期")  # not yet due
    major = raise_hazard(
        users["county"], institution, days_ago=40, severity=HazardSeverity.MAJOR, title="违规使用彩钢板"
    )
    raise_hazard(users["other_county"], other_institution, days_ago=20)
    assert Alert.objects.filter(kind=MAJOR_HAZARD_ALERT).count() == 1  # raised on registration

    result = sweep_county(HAZARD_OVERDUE, HOME_COUNTY)
    assert result.raised == 2
    alerts = {a.subject_id: a for a in Alert.objects.filter(kind=HAZARD_OVERDUE)}
    assert set(alerts) == {str(late.pk), str(major.pk)}
    alert = alerts[str(late.pk)]
    assert (
        alert.message
        == f"赵镇敬老院一般安全隐患逾期未整改：电线私拉乱接，整改期限{late.deadline:%Y-%m-%d}，提级督办"
    )
    assert "重大安全隐患逾期未整改：违规使用彩钢板" in alerts[str(major.pk)].message
    assert alert.region_id == institution.region_id
    assert alert.severity == Severity.URGENT
    assert alert.escalation_level == 1
    assert alert.subject == late
    # supervised from one level up at once: the county (above the township) sees it under 督办
    assert set(Alert.objects.escalated_to(users["county"]).filter(kind=HAZARD_OVERDUE)) == set(
        alerts.values()
    )
    assert not Alert.objects.escalated_to(users["township"]).filter(kind=HAZARD_OVERDUE).exists()
    # the major-hazard alert of registration is another finding, untouched
    assert Alert.objects.filter(kind=MAJOR_HAZARD_ALERT, status=AlertStatus.OPEN).count() == 1

    assert sweep_county(HAZARD_OVERDUE, HOME_COUNTY).raised == 0
    assert Alert.objects.filter(kind=HAZARD_OVERDUE).count() == 2

    late = services.hazard_start(
        actor=users["county"], hazard=late, owner=users["township"], measures="更换线路"
    )
    assert sweep_county(HAZARD_OVERDUE, HOME_COUNTY).resolved == 0  # being rectified is still overdue
    services.hazard_rectify(actor=users["township"], hazard=late, evidence=evidence())
    cleared = sweep_county(HAZARD_OVERDUE, HOME_COUNTY)
    assert (cleared.raised, cleared.resolved) == (0, 1)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert list(alert.events.values_list("action", flat=True)) == ["raised", "auto_resolved"]


def test_other_county_and_closed_institutions(users, institution, other_institution):
    raise_hazard(users["other_county"], other_institution, days_ago=30)
    assert sweep_county(HAZARD_OVERDUE, HOME_COUNTY).raised == 0
    assert sweep_county(HAZARD_OVERDUE, OTHER_COUNTY).raised == 1
    assert sweep_county(HAZARD_OVERDUE, HOME_COUNTY).resolved == 0  # not this county's alert
    closed = InstitutionFactory(region=institution.region, is_active=False)
    raise_hazard(users["county"], closed, days_ago=30)
    assert sweep_county(HAZARD_OVERDUE, HOME_COUNTY).raised == 0


def test_an_extended_deadline_clears_the_alert(users, institution):
    late = raise_hazard(users["county"], institution, days_ago=20)
    assert sweep_county(HAZARD_OVERDUE, HOME_COUNTY).raised == 1
    Hazard.objects.filter(pk=late.pk).update(deadline=timezone.localdate() + datetime.timedelta(days=5))
    assert sweep_county(HAZARD_OVERDUE, HOME_COUNTY).resolved == 1


def test_query_count_does_not_grow_with_hazards(users, institution, other_institution):
    raise_hazard(users["county"], institution, days_ago=20)
    for i in range(15):
        place = InstitutionFactory(region=other_institution.region)
        raise_hazard(users["other_county"], place, days_ago=20 + i, title=f"隐患{i}")
    sweep_county(HAZARD_OVERDUE, "14")  # warm the content-type cache
    with CaptureQueriesContext(connection) as small:
        assert sweep_county(HAZARD_OVERDUE, HOME_COUNTY).raised == 1
    with CaptureQueriesContext(connection) as large:
        assert sweep_county(HAZARD_OVERDUE, OTHER_COUNTY).raised == 15
    assert len(small) == len(large)
