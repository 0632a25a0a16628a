"""The services: registry, inspections raising hazards, deadlines from policy, the hazard workflow."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from institutions import services
from institutions.models import (
    ChecklistTemplate,
    Hazard,
    HazardSeverity,
    HazardState,
    HazardTransition,
    Inspection,
    InspectionResult,
    MajorHazardCriterion,
    ResultChoice,
)
from relief.models import Alert, AlertStatus, PolicyParameter
from tests.institutions.factories import all_pass, evidence, move_to, today

# --- Registry ------------------------------------------------------------------------------------


def test_institution_create_in_scope(users, regions):
    inst = services.institution_create(
        actor=users["township"], name="赵镇敬老院", type="rural_home", region=regions["township"], capacity=50
    )
    assert inst.pk and inst.region_id == "510121001"


def test_institution_create_outside_scope_refused(users, regions):
    with pytest.raises(PermissionDenied):
        services.institution_create(
            actor=users["county"], name="外县机构", type="rural_home", region=regions["other_county"]
        )


def test_institution_create_read_only_role_refused(users, regions):
    with pytest.raises(PermissionDenied):
        services.institution_create(
            actor=users["city"], name="某机构", type="rural_home", region=regions["county"]
        )


def test_institution_nursing_beds_within_capacity(users, regions):
    with pytest.raises(ValidationError):
        services.institution_create(
            actor=users["county"],
            name="某机构",
            type="rural_home",
            region=regions["county"],
            capacity=10,
            nursing_beds=20,
        )


def test_institution_update_cannot_move_out_of_scope(users, regions, institution):
    with pytest.raises(PermissionDenied):
        services.institution_update(
            actor=users["county"], institution=institution, region=regions["other_county"]
        )
    institution.refresh_from_db()
    assert institution.region_id == "510121001"


# --- Default data -----------------------------------------------------------------------------------


def test_default_winter_checklist_has_the_five_lists(db):
    template = ChecklistTemplate.objects.get(name__contains="默认")
    sections = set(template.items.values_list("section", flat=True))
    assert sections == {"responsibility", "inspection", "risk", "rectification", "rules"}
    texts = " ".join(template.items.values_list("text", flat=True))
    for word in ["取暖", "一氧化碳", "消防", "积雪", "电力线路", "药品", "演练"]:
        assert word in texts


def test_default_major_hazard_criteria(db):
    texts = " ".join(MajorHazardCriterion.objects.values_list("text", flat=True))
    assert "危险房屋" in texts and "彩钢板" in texts and "特种设备" in texts and "食品经营许可证" in texts


# --- Inspections ---------------------------------------------------------------------------------


def test_failed_item_raises_hazard_in_same_step(users, institution, checklist):
    template, items = checklist
    inspection = services.inspection_record(
        actor=users["township"],
        institution=institution,
        template=template,
        results=all_pass(items, {items[1].pk: (ResultChoice.FAIL, "二楼走廊未安装报警器")}),
    )
    assert inspection.results.count() == 3
    hazard = Hazard.objects.get(inspection=inspection)
    assert hazard.title == "安装一氧化碳报警器"
    assert hazard.description == "二楼走廊未安装报警器"
    assert hazard.severity == HazardSeverity.MAJOR  # the item's default
    assert hazard.result.item == items[1]
    assert hazard.state == HazardState.OPEN
    assert hazard.transitions.get().action == "raise"
    # A major hazard raises an urgent alert for the region.
    alert = Alert.objects.get(dedup_key=f"institutions.major_hazard:{hazard.pk}")
    assert alert.region_id == "510121001"


def test_inspection_rolls_back_entirely_when_hazard_cannot_be_raised(users, institution, checklist):
    """No deadline policy → the hazard cannot be raised → the inspection is not saved either."""
    template, items = checklist
    PolicyParameter.objects.filter(key="hazard_deadline_general_days").delete()
    with pytest.raises(ValidationError, match="一般隐患整改期限"):
        services.inspection_record(
            actor=users["township"],
            institution=institution,
            template=template,
            results=all_pass(items, {items[0].pk: (ResultChoice.FAIL, "暖气不热")}),
        )
    assert not Inspection.objects.exists()
    assert not InspectionResult.objects.exists()
    assert not Hazard.objects.exists()


def test_inspection_needs_every_item(users, institution, checklist):
    template, items = checklist
    with pytest.raises(ValidationError, match="未填写检查结果"):
        services.inspection_record(
            actor=users["township"], institution=institution, template=template, results=all_pass(items[:2])
        )


def test_failed_item_needs_a_note(users, institution, checklist):
    template, items = checklist
    with pytest.raises(ValidationError, match="须填写情况说明"):
        services.inspection_record(
            actor=users["township"],
            institution=institution,
            template=template,
            results=all_pass(items, {items[0].pk: (ResultChoice.FAIL, "")}),
        )


def test_inspection_with_photo_and_severity_override(users, institution, checklist):
    template, items = checklist
    results = all_pass(items)
    results[0] = services.ResultInput(
        item_id=items[0].pk, result="fail", note="锅炉漏水", photo=evidence("boiler.jpg"), severity="major"
    )
    inspection = services.inspection_record(
        actor=users["county"], institution=institution, template=template, results=results
    )
    row = inspection.results.get(item=items[0])
    assert row.photo.name.startswith("institutions/inspections/")
    assert row.hazard.severity == HazardSeverity.MAJOR


def test_inspection_out_of_scope_refused(users, other_institution, checklist):
    template, items = checklist
    with pytest.raises(PermissionDenied):
        services.inspection_record(
            actor=users["county"], institution=other_institution, template=template, results=all_pass(items)
        )
    assert not Inspection.objects.exists()


def test_inspection_date_not_in_future(users, institution, checklist):
    template, items = checklist
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.inspection_record(
            actor=users["county"],
            institution=institution,
            template=template,
            results=all_pass(items),
            date=today() + datetime.timedelta(days=1),
        )


# --- Deadlines from policy -------------------------------------------------------------------------


def test_deadline_from_national_default(users, institution):
    general = services.hazard_raise(
        actor=users["county"], institution=institution, title="a", severity="general"
    )
    major = services.hazard_raise(actor=users["county"], institution=institution, title="b", severity="major")
    assert general.deadline == today() + datetime.timedelta(days=7)
    assert major.deadline == today() + datetime.timedelta(days=30)


def test_deadline_from_region_policy(users, institution, regions):
    PolicyParameter.objects.create(
        key="hazard_deadline_general_days",
        region=regions["county"],
        value=Decimal(3),
        valid_from=today() - datetime.timedelta(days=10),
    )
    hazard = services.hazard_raise(
        actor=users["county"], institution=institution, title="a", severity="general"
    )
    assert hazard.deadline == today() + datetime.timedelta(days=3)


# --- The workflow --------------------------------------------------------------------------------


def test_full_workflow_records_every_transition(users, hazard):
    owner, second = users["township"], users["county"]
    hazard = services.hazard_start(
        actor=second, hazard=hazard, owner=owner, measures="重新布线", funds=Decimal("1200.50")
    )
    assert (hazard.state, hazard.owner, hazard.funds) == (HazardState.RECTIFYING, owner, Decimal("1200.50"))
    hazard = services.hazard_rectify(actor=owner, hazard=hazard, evidence=evidence(), comment="已完成")
    assert hazard.state == HazardState.RECTIFIED and hazard.evidence
    hazard = services.hazard_verify(actor=second, hazard=hazard, comment="复查合格")
    assert hazard.verified_by == second and hazard.verified_at
    hazard = services.hazard_close(actor=second, hazard=hazard)
    assert hazard.state == HazardState.CLOSED and hazard.closed_by == second
    rows = list(
        HazardTransition.objects.filter(hazard=hazard).values_list(
            "action", "from_state", "to_state", "actor"
        )
    )
    assert rows == [
        ("raise", "", "open", second.pk),
        ("start", "open", "rectifying", second.pk),
        ("rectify", "rectifying", "rectified", owner.pk),
        ("verify", "rectified", "verified", second.pk),
        ("close", "verified", "closed", second.pk),
    ]
    # django-simple-history keeps every version too.
    assert hazard.history.count() == 5


def test_owner_cannot_verify(users, hazard):
    owner = users["township"]
    hazard = move_to(hazard, "rectified", owner=owner, second=users["county"])
    with pytest.raises(ValidationError, match="整改责任人以外"):
        services.hazard_verify(actor=owner, hazard=hazard)
    hazard.refresh_from_db()
    assert hazard.state == HazardState.RECTIFIED


def test_owner_cannot_close(users, hazard):
    owner, second = users["township"], users["county"]
    hazard = move_to(hazard, "verified", owner=owner, second=second)
    with pytest.raises(ValidationError, match="整改责任人以外"):
        services.hazard_close(actor=owner, hazard=hazard)
    hazard.refresh_from_db()
    assert hazard.state == HazardState.VERIFIED


def test_database_refuses_owner_as_verifier(users, hazard):
    from django.db import IntegrityError, transaction

    owner = users["township"]
    hazard = move_to(hazard, "rectifying", owner=owner, second=users["county"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=hazard.pk).update(verified_by=owner)


def test_verification_failure_sends_back_to_rectifying(users, hazard):
    owner, second = users["township"], users["county"]
    hazard = move_to(hazard, "rectified", owner=owner, second=second)
    with pytest.raises(ValidationError, match="说明原因"):
        services.hazard_verify(actor=second, hazard=hazard, passed=False)
    hazard = services.hazard_verify(actor=second, hazard=hazard, passed=False, comment="线路仍裸露")
    assert hazard.state == HazardState.RECTIFYING
    assert hazard.transitions.last().action == "reject"


def test_rectify_needs_evidence(users, hazard):
    owner = users["township"]
    hazard = move_to(hazard, "rectifying", owner=owner, second=users["county"])
    with pytest.raises(ValidationError, match="佐证材料"):
        services.hazard_rectify(actor=owner, hazard=hazard)


def test_start_needs_owner_in_scope(users, hazard):
    with pytest.raises(ValidationError, match="整改责任人必须"):
        services.hazard_start(actor=users["county"], hazard=hazard, owner=users["other_county"], measures="x")
    with pytest.raises(ValidationError, match="整改责任人必须"):
        services.hazard_start(actor=users["county"], hazard=hazard, owner=users["city"], measures="x")


def test_wrong_state_refused(users, hazard):
    with pytest.raises(ValidationError, match="当前状态为“待整改”"):
        services.hazard_close(actor=users["county"], hazard=hazard)
    with pytest.raises(ValidationError, match="当前状态"):
        services.hazard_rectify(actor=users["county"], hazard=hazard, evidence=evidence())


def test_extension_approved_moves_deadline(users, hazard):
    owner, second = users["township"], users["county"]
    hazard = move_to(hazard, "rectifying", owner=owner, second=second)
    new = hazard.deadline + datetime.timedelta(days=20)
    hazard = services.hazard_extension_request(
        actor=owner, hazard=hazard, new_deadline=new, reason="大雪停工"
    )
    assert hazard.state == HazardState.EXTENSION_REQUESTED
    with pytest.raises(ValidationError, match="申请人以外"):
        services.hazard_extension_decide(actor=owner, hazard=hazard, approve=True)
    hazard = services.hazard_extension_decide(actor=second, hazard=hazard, approve=True)
    assert (hazard.state, hazard.deadline) == (HazardState.RECTIFYING, new)
    assert hazard.extension_deadline is None


def test_extension_refused_keeps_deadline(users, hazard):
    owner, second = users["township"], users["county"]
    hazard = move_to(hazard, "rectifying", owner=owner, second=second)
    old = hazard.deadline
    hazard = services.hazard_extension_request(
        actor=owner, hazard=hazard, new_deadline=old + datetime.timedelta(days=5), reason="材料未到"
    )
    with pytest.raises(ValidationError, match="说明理由"):
        services.hazard_extension_decide(actor=second, hazard=hazard, approve=False)
    hazard = services.hazard_extension_decide(
        actor=second, hazard=hazard, approve=False, comment="可先临时处置"
    )
    assert (hazard.state, hazard.deadline) == (HazardState.RECTIFYING, old)
    assert hazard.transitions.last().action == "refuse_extension"


def test_extension_must_be_later(users, hazard):
    owner = users["township"]
    hazard = move_to(hazard, "rectifying", owner=owner, second=users["county"])
    with pytest.raises(ValidationError, match="必须晚于"):
        services.hazard_extension_request(
            actor=owner, hazard=hazard, new_deadline=hazard.deadline, reason="x"
        )


def test_closing_major_hazard_resolves_its_alert(users, institution):
    hazard = services.hazard_raise(
        actor=users["county"], institution=institution, title="彩钢板", severity="major"
    )
    move_to(hazard, "closed", owner=users["township"], second=users["county"])
    alert = Alert.objects.get(dedup_key=f"institutions.major_hazard:{hazard.pk}")
    assert alert.status == AlertStatus.RESOLVED


def test_transition_out_of_scope_refused(users, other_hazard):
    with pytest.raises(PermissionDenied):
        services.hazard_start(actor=users["county"], hazard=other_hazard, owner=users["county"], measures="x")
    other_hazard.refresh_from_db()
    assert other_hazard.state == HazardState.OPEN


def test_stale_object_cannot_repeat_a_transition(users, hazard):
    """The state is read again under the row lock: a second click on a stale page is refused."""
    owner, second = users["township"], users["county"]
    stale = Hazard.objects.get(pk=move_to(hazard, "verified", owner=owner, second=second).pk)
    services.hazard_close(actor=second, hazard=stale)
    with pytest.raises(ValidationError, match="当前状态为“已销号”"):
        services.hazard_close(actor=users["admin"], hazard=stale)
    assert HazardTransition.objects.filter(hazard=hazard, action="close").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_close_only_once(regions, users, institution):
    """Two people close the same hazard at the same moment: exactly one succeeds."""
    owner, second = users["township"], users["county"]
    hazard = services.hazard_raise(actor=second, institution=institution, title="并发", severity="general")
    hazard = move_to(hazard, "verified", owner=owner, second=second)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close(actor):
        try:
            barrier.wait(timeout=5)
            services.hazard_close(actor=actor, hazard=hazard)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(u,)) for u in (second, users["admin"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(outcomes) == ["ok", "refused"]
    assert HazardTransition.objects.filter(hazard=hazard, action="close").count() == 1
