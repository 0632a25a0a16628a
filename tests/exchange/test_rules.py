"""Warning rules on small department files: each kind raises a warning for the township of the
person it is about, with the rule's severity and working-day deadline, and resolves itself when a
later batch (or the register) shows the cause gone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from exchange.hooks import after_match
from exchange.models import Disposition, RuleKind
from exchange.rules import alert_kind, months_back, rules_in_county, rules_sweep
from people.models import Household
from relief.alerts.services import alerts_escalate_overdue
from relief.models import Alert, AlertStatus, Task
from relief.workdays import add_working_days
from tests.exchange import factories as f
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db
COUNTY = "510121"


def _alerts(kind: str):
    return Alert.objects.filter(kind=alert_kind(kind))


def test_medical_costs_above_the_share_of_income_raise_one_warning_for_the_village(family, today):
    src = f.source(RuleKind.MEDICAL_SHARE, name="四川省医保")
    rule = f.rule(src, RuleKind.MEDICAL_SHARE, share="0.5", months=12, due_days=5, severity=3)
    b = f.batch(src)
    # income 1000 a month: 12 months × 1000 × 0.5 = 6000; 4000 + 2500 = 6500 is above it
    f.record(b, family["head"], amount="4000", occurred_on=today - datetime.timedelta(days=40))
    f.record(b, family["child"], amount="2500", occurred_on=today - datetime.timedelta(days=10))
    f.record(b, family["child"], amount="9000", occurred_on=months_back(today, 13))  # outside the period

    assert after_match(b) == 1
    alert = _alerts(RuleKind.MEDICAL_SHARE).get()
    assert alert.region_id == "510121001001"  # the household's village: the township gets the task
    assert alert.subject_id == str(family["household"].pk)
    assert alert.severity == 3
    assert timezone.localtime(alert.due_at).date() == add_working_days(today, 5).date
    assert "6500" in alert.message and "四川省医保" in alert.message
    task = Task.objects.get(alert=alert)
    assert "exchange/dispositions/open/?alert=" in task.action_url
    disposition = Disposition.objects.get(alert=alert)
    assert (disposition.rule, disposition.household, disposition.person) == (rule, family["household"], None)

    # the same batch again: nothing new
    assert after_match(b) == 0
    assert _alerts(RuleKind.MEDICAL_SHARE).count() == 1


def test_a_medical_warning_resolves_itself_when_the_sum_falls_below_the_share(family, today):
    src = f.source(RuleKind.MEDICAL_SHARE)
    f.rule(src, RuleKind.MEDICAL_SHARE, share="0.5", months=12)
    b = f.batch(src)
    f.record(b, family["head"], amount="7000", occurred_on=today - datetime.timedelta(days=30))
    assert after_match(b) == 1
    # the household's income recorded: 12 × 2000 × 0.5 = 12000 > 7000
    Household.objects.filter(pk=family["household"].pk).update(monthly_income=2000)
    assert rules_sweep([COUNTY], [RuleKind.MEDICAL_SHARE]) == 0
    alert = _alerts(RuleKind.MEDICAL_SHARE).get()
    assert alert.status == AlertStatus.RESOLVED and not alert.cause_open
    assert Disposition.objects.get(alert=alert).status == "cleared"
    assert Task.objects.get(alert=alert).state == "done"


def test_below_the_share_raises_nothing(family, today):
    src = f.source(RuleKind.MEDICAL_SHARE)
    f.rule(src, RuleKind.MEDICAL_SHARE, share="0.5")
    b = f.batch(src)
    f.record(b, family["head"], amount="5999", occurred_on=today)
    assert after_match(b) == 0


def test_a_new_severe_disability_certificate_raises_a_visit_for_the_person(family, today):
    src = f.source(RuleKind.EVENT, name="残联")
    f.rule(src, RuleKind.EVENT, event_types="一级\n二级", suggestion="dibao")
    b = f.batch(src)
    f.record(b, family["child"], event_type="二级", occurred_on=today)
    f.record(b, family["head"], event_type="四级", occurred_on=today)  # not among the rule's types
    assert after_match(b) == 1
    alert = _alerts(RuleKind.EVENT).get()
    assert alert.subject_id == str(family["child"].pk)
    assert "二级" in alert.message


def test_unemployment_of_the_only_working_age_member(family, today):
    src = f.source(RuleKind.SOLE_EARNER)
    f.rule(src, RuleKind.SOLE_EARNER)
    b = f.batch(src)
    f.record(b, family["head"], occurred_on=today)
    assert after_match(b) == 1
    assert _alerts(RuleKind.SOLE_EARNER).get().subject_id == str(family["head"].pk)
    # a spouse of working age joins the household: the head is no longer the only earner
    PersonFactory(household=family["household"], relation="spouse", birth=datetime.date(1988, 1, 1))
    rules_sweep([COUNTY], [RuleKind.SOLE_EARNER])
    assert _alerts(RuleKind.SOLE_EARNER).get().status == AlertStatus.RESOLVED


def test_a_death_record_raises_a_warning_to_confirm_and_resolves_when_no_longer_matched(family, today):
    src = f.source(RuleKind.DEATH, name="殡葬")
    f.rule(src, RuleKind.DEATH)
    b = f.batch(src)
    rec = f.record(b, family["head"], occurred_on=today - datetime.timedelta(days=3), event_type="火化")
    assert after_match(b) == 1
    assert "火化" in _alerts(RuleKind.DEATH).get().message
    # the register's ID number was corrected: the record no longer matches the person
    rec.id_number = "510121198503070000"
    rec.save(update_fields=["id_number"])
    rules_sweep([COUNTY], [RuleKind.DEATH])
    assert _alerts(RuleKind.DEATH).get().status == AlertStatus.RESOLVED


def test_the_most_specific_rule_of_a_code_wins(family, today, regions):
    src = f.source(RuleKind.MEDICAL_SHARE)
    f.rule(src, RuleKind.MEDICAL_SHARE, region_code="51", share="0.5")
    county_rule = f.rule(src, RuleKind.MEDICAL_SHARE, region_code=COUNTY, share="0.9")
    applied = rules_in_county(RuleKind.MEDICAL_SHARE, COUNTY, today)
    assert [a.rule for a in applied] == [county_rule]
    b = f.batch(src)
    f.record(b, family["head"], amount="7000", occurred_on=today)  # above 50 %, below 90 %
    assert after_match(b) == 0
    # the county switches its own rule off: the province's applies again? No: an inactive rule
    # of the code switches the rule off in the county
    county_rule.active = False
    county_rule.save(update_fields=["active"])
    assert rules_in_county(RuleKind.MEDICAL_SHARE, COUNTY, today) == []
    # a township rule of the code takes its township, the province's rule the rest of the county
    county_rule.delete()
    town = f.rule(src, RuleKind.MEDICAL_SHARE, region_code="510121001", share="0.9")
    applied = {a.rule.pk: a for a in rules_in_county(RuleKind.MEDICAL_SHARE, COUNTY, today)}
    assert applied[town.pk].within == "510121001"
    assert len(applied) == 2
    assert after_match(b) == 0  # the village is the township's: 90 %


def test_an_overdue_warning_is_escalated_one_level(family, today):
    src = f.source(RuleKind.DEATH)
    f.rule(src, RuleKind.DEATH, due_days=1)
    b = f.batch(src)
    f.record(b, family["head"], occurred_on=today)
    after_match(b)
    alert = _alerts(RuleKind.DEATH).get()
    Alert.objects.filter(pk=alert.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    assert alerts_escalate_overdue() == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    task = Task.objects.get(alert=alert)
    assert task.escalation_level == 1 and task.supervisor_region == "510121001"
    # the disposition page shows it supervised
    assert Disposition.objects.get(alert=alert).alert.escalation_level == 1
