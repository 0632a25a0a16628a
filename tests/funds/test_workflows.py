"""The two declared workflows of funds, table-driven: for every state × step × role, a step is either
offered (`workflow.available`) and then taken (one log row, the declared target state), or not offered
and then refused (ValidationError / PermissionDenied) with nothing changed; and the detail page shows
exactly the offered steps as buttons (`data-step`). Objects are built directly in each state; each
attempt is rolled back, so one set of objects serves every role and step of a state."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from funds.models import AppStatus, BatchStatus
from funds.workflows import application_workflow, batch_workflow
from relief.workflow import Workflow
from tests.conftest import login
from tests.funds.factories import AllocationFactory, ApplicationFactory, BatchFactory
from tests.workflow_table import ROLES, buttons, undone

pytestmark = pytest.mark.django_db

D = Decimal


def _attempt(workflow: Workflow, step: str, user, obj, data: dict) -> tuple[bool, str, int, str]:
    """Take `step` as `user`, measure, undo. (taken?, state after, log rows written, refusal)."""
    log = workflow.log_model.objects.filter(**{workflow.log_fk: obj})
    before = log.count()
    with undone():
        try:
            with transaction.atomic():
                workflow.run(step, actor=user, obj=obj, **data)
            taken, refusal = True, ""
        except (ValidationError, PermissionDenied) as exc:
            taken, refusal = False, f"{type(exc).__name__}: {exc}"
        state = workflow.state_of(workflow.model.objects.get(pk=obj.pk))
        return taken, state, log.count() - before, refusal


def _check(workflow: Workflow, objects: dict, inputs, users, client, page_url) -> None:
    problems = []
    for label, obj in objects.items():
        state = workflow.state_of(obj)
        for role in ROLES:
            user = users[role]
            offered = workflow.available_names(obj, user)
            for step in workflow.steps.values():
                taken, after, rows, refusal = _attempt(workflow, step.name, user, obj, inputs(step.name, obj))
                where = f"{label} ({state}) · {role} · {step.name}"
                if step.name in offered:
                    want = step.target or state
                    if not (taken and rows == 1 and after == want):
                        problems.append(f"{where}: offered but {refusal or f'{rows} rows, state {after}'}")
                elif taken or rows or after != state:
                    problems.append(f"{where}: not offered but taken ({rows} rows, state {after})")
            response = login(client, user).get(page_url(obj))
            if response.status_code == 200:
                shown = buttons(response.content.decode())
                if shown != offered:
                    problems.append(f"{label} ({state}) · {role}: page buttons {shown} != offered {offered}")
            elif response.status_code != 404 or offered:
                problems.append(f"{label} ({state}) · {role}: page {response.status_code}, offered {offered}")
    assert not problems, "\n".join(problems)


# --- disbursement batches ------------------------------------------------------------------------


def _batch_inputs(step: str, batch) -> dict:
    return {"comment": "作废：名单有误" if step == "cancel" else "同意"}


@pytest.mark.parametrize("state", BatchStatus.values)
def test_batch_workflow_table(state, users, regions, client):
    allocation = AllocationFactory(region=regions["county"], amount="100000.00")
    objects = {"batch": BatchFactory(allocation=allocation, status=state)}
    _check(batch_workflow, objects, _batch_inputs, users, client, lambda b: f"/funds/batches/{b.pk}/")
    offered = {r: batch_workflow.available_names(objects["batch"], users[r]) for r in ROLES}
    # who may: the county (and above) writers of the batch's county, nobody else
    for role in ("province", "city", "township", "village", "other_county", "api_read"):
        assert offered[role] == [], role
    assert offered["county"] == offered["admin"] == offered["api_write"]


def test_a_batch_over_its_allocation_is_offered_approval_but_refused_with_the_reason(users, regions):
    """Not reachable through the services (a batch draws on its allocation from generation on, so a
    reviewed one always fits): approval checks it again under the allocation's lock all the same,
    and that check is not part of `available` (it would cost a query per listed batch)."""
    tight = AllocationFactory(region=regions["county"], amount="2000.00")
    BatchFactory(allocation=tight, status=BatchStatus.APPROVED, total_amount=D("1000.00"))
    batch = BatchFactory(allocation=tight, status=BatchStatus.REVIEWED)
    with pytest.raises(ValidationError, match=r"超出资金指标剩余额度 1000\.00 元，不能审批"):
        batch_workflow.run("approve", actor=users["county"], obj=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEWED and not batch.transitions.exists()


# --- temporary assistance applications -----------------------------------------------------------

PAST = datetime.date(2026, 1, 5)
FUTURE = datetime.date(2099, 1, 5)


def _application_inputs(step: str, app) -> dict:
    return {
        "emergency_pay": {"amount": D("500"), "comment": "备用金"},
        "review": {"amount": D("1000"), "comment": "入户核查"},
        "approve": {"amount": app.proposed_amount or D("1000"), "comment": "同意"},
        "objection": {"comment": "群众反映有车辆"},
        "reject": {"reason": "家庭收入超过标准"},
    }.get(step, {"comment": "办理"})


def _applications(state: str) -> dict:
    urgent, expense = "urgent", "expense"
    if state == AppStatus.SUBMITTED:
        return {"urgent": {"kind": urgent}, "expense": {"kind": expense}}
    if state == AppStatus.EMERGENCY_PAID:
        return {"urgent": {"kind": urgent, "emergency_amount": D("500")}}
    if state == AppStatus.REVIEWED:
        return {
            "urgent within the township's limit": {"kind": urgent, "proposed_amount": D("1000")},
            "urgent above the township's limit": {"kind": urgent, "proposed_amount": D("5000")},
            "urgent with 先行救助, together above": {
                "kind": urgent,
                "emergency_amount": D("2500"),
                "proposed_amount": D("1000"),
            },
            "expense": {"kind": expense, "proposed_amount": D("1000")},
        }
    if state == AppStatus.NOTICE:
        return {
            "expense, notice over": {"kind": expense, "proposed_amount": D("1000"), "notice_end": PAST},
            "expense, notice running": {"kind": expense, "proposed_amount": D("1000"), "notice_end": FUTURE},
        }
    if state == AppStatus.NOTICE_DONE:
        return {
            "expense within the township's limit": {"kind": expense, "proposed_amount": D("1000")},
            "expense above the township's limit": {"kind": expense, "proposed_amount": D("4800")},
        }
    if state in (AppStatus.APPROVED, AppStatus.PAID):
        return {"urgent": {"kind": urgent, "proposed_amount": D("1000"), "approved_amount": D("1000")}}
    return {"urgent": {"kind": urgent, "rejection_reason": "不符合条件"}}  # rejected


@pytest.mark.parametrize("state", AppStatus.values)
def test_application_workflow_table(state, users, regions, client):
    objects = {
        label: ApplicationFactory(status=state, **fields) for label, fields in _applications(state).items()
    }
    _check(
        application_workflow,
        objects,
        _application_inputs,
        users,
        client,
        lambda a: f"/funds/applications/{a.pk}/",
    )
    for obj in objects.values():
        offered = {r: application_workflow.available_names(obj, users[r]) for r in ROLES}
        for role in ("province", "city", "village", "other_county", "api_read"):
            assert offered[role] == [], role
        # the township's buttons are never more than the county's
        assert set(offered["township"]) <= set(offered["county"])


def test_what_a_township_and_the_county_are_offered(users, regions):
    township, county = users["township"], users["county"]

    def offered(user, **fields):
        return application_workflow.available_names(ApplicationFactory(**fields), user)

    assert offered(township, kind="urgent") == ["emergency_pay", "review", "reject"]
    assert offered(township, kind="expense") == ["review", "reject"]
    small = {"status": AppStatus.REVIEWED, "proposed_amount": D("1000")}
    assert offered(township, kind="urgent", **small) == ["approve", "reject"]
    assert offered(township, kind="expense", **small) == ["notice_start", "reject"]
    # above the township's limit (3000 for a 街道), 先行救助 counted: only the county approves
    big = {"status": AppStatus.REVIEWED, "proposed_amount": D("2000"), "emergency_amount": D("1500")}
    assert offered(township, kind="urgent", **big) == ["reject"]
    assert offered(county, kind="urgent", **big) == ["approve", "reject"]
    notice = {"kind": "expense", "status": AppStatus.NOTICE}
    assert offered(township, notice_end=FUTURE, **notice) == ["objection", "reject"]
    assert offered(township, notice_end=PAST, **notice) == ["objection", "notice_close", "reject"]
