"""Every write to the register: households, members, assistance categories, visits.

One transaction each; keyword-only; the actor's role and region are checked here (views, the API,
imports and tasks all call these). The Excel import (people/roster/) writes in bulk with the same
rules, and its uploads and commits start here.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from people import visit_rules
from people.assistance_services import (  # noqa: F401 (assistance categories: their own module)
    assistance_add,
    assistance_correct,
    assistance_end,
    assistance_grant,
    assistance_replace,
)
from people.id_numbers import (  # noqa: F401 (the register's ID-number rules, used through services)
    ADDRESS_KNOWN,
    ADDRESS_PLAUSIBLE,
    ADDRESS_UNKNOWN,
    IdNumberCheck,
    address_code_status,
    birth_date_from_id,
    check_id_number,
    normalize_id_number,
    sex_from_id,
    validate_id_number,
)
from people.models import (
    Assistance,
    HeatingType,
    Household,
    HousingCondition,
    PaymentAccount,
    Person,
    Relation,
    RosterUpload,
    Visit,
    VisitChannel,
    VisitKind,
)
from people.visit_schedule import (  # noqa: F401 (the visit schedule: its own module)
    VISIT_SCHEDULE_FIELDS,
    _refresh_household,
    _refresh_person,
    person_refresh_next_visit,
    person_schedule_staged,
)
from relief.models import Job, JobState, Region, User
from relief.scoping import in_scope, require_actor, require_in_scope, require_writer
from relief.sheet_reader import check_table

ID_CONSTRAINT = "person_id_number_active_once"
# the job kind of a roster's dry run and commit (people/roster/job.py)
ROSTER_IMPORT_JOB = "people.roster_import"
# why a commit is refused (the API answers 409 with these codes)
ROSTER_DRY_RUN_UNFINISHED = "dry_run_unfinished"
ROSTER_DRY_RUN_HAS_ERRORS = "dry_run_has_errors"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
HOUSEHOLD_NUMBER_CONSTRAINT = "household_number_unique_in_region"

HOUSEHOLD_FIELDS = {
    "region",
    "household_number",
    "address",
    "contact_phone",
    "is_urban",
    "heating_type",
    "housing_condition",
    "monthly_income",
    "expense_medical",
    "expense_education",
    "expense_heating",
    "expense_disaster",
    "note",
}
PERSON_FIELDS = {
    "name",
    "id_number",
    "relation",
    "phone",
    "lives_alone",
    "has_disability",
    "disability_level",
    "severe_illness",
    "unable_self_care",
    "is_student",
    "is_orphan",
    "is_unsupported_child",
    "is_left_behind_child",
    "is_child_in_distress",
    "guardian_name",
    "guardian_phone",
    "guardian_relation",
    "carer_name",
    "carer_phone",
    "note",
}
VISIT_FIELDS = {
    "person",
    "visited_at",
    "kind",
    "channel",
    *Visit.CHECK_FIELDS,
    "guardian_present",
    "needs",
    "follow_up",
    "follow_up_note",
    "next_visit_due",
    "note",
}


# --- helpers -------------------------------------------------------------------------------------


def _set_fields(obj: Any, changes: dict[str, Any], allowed: set[str]) -> list[str]:
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot set {sorted(unknown)} on {type(obj).__name__}")
    changed = []
    for name, value in changes.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


HOUSEHOLD_MONEY_FIELDS = (
    "monthly_income",
    "expense_medical",
    "expense_education",
    "expense_heating",
    "expense_disaster",
)


def _check_money(household: Household) -> None:
    """Income and expenses are never negative (the constraint household_money_not_negative says so
    too; checked here first so the caller gets a message on the field rather than an error)."""
    errors = {
        name: _("金额不能为负数")
        for name in HOUSEHOLD_MONEY_FIELDS
        if getattr(household, name) is not None and getattr(household, name) < 0
    }
    if errors:
        raise ValidationError(errors)


def _save_household(household: Household) -> None:
    _check_money(household)
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError as exc:
        if HOUSEHOLD_NUMBER_CONSTRAINT in str(exc):
            raise ValidationError(
                {"household_number": _("户编号“%(n)s”在本区划已被使用") % {"n": household.household_number}}
            ) from None
        raise


ID_ELSEWHERE_MESSAGE = _lazy("该身份证号已在其他地区登记为有效成员，请联系县级民政部门核实")


def id_conflict_message(actor: User | None, id_number: str, other_region: str, other_region_name: str) -> str:
    """The number is active in another household: inside the actor's region, which one's place;
    outside it, only that it is registered elsewhere and whom to ask (where it lives is not the
    actor's to know)."""
    if in_scope(actor, other_region):
        return _("身份证号 %(id)s 已在另一户（%(region)s）登记为有效成员，请先在原户注销后再添加") % {
            "id": id_number,
            "region": other_region_name,
        }
    return str(ID_ELSEWHERE_MESSAGE)


def _id_conflict_message(person: Person, actor: User | None) -> str:
    other = (
        Person.objects.filter(id_number=person.id_number, active=True)
        .exclude(pk=person.pk)
        .select_related("household", "household__region")
        .first()
    )
    if other is None:
        return _("该身份证号已在另一户登记为有效成员")
    return id_conflict_message(
        actor, person.id_number, other.household.region_id, other.household.region.name
    )


def _save_person(person: Person, actor: User | None) -> None:
    """Save, turning a breach of the one-active-ID constraint into a Chinese message."""
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        if ID_CONSTRAINT in str(exc):
            raise ValidationError({"id_number": _id_conflict_message(person, actor)}) from None
        raise


def _prepare_person(person: Person, actor: User | None) -> None:
    person.id_number = validate_id_number(person.id_number)
    person.sex = sex_from_id(person.id_number)
    person.birth_date = birth_date_from_id(person.id_number)
    if not person.has_disability:
        person.disability_level = None
    person.full_clean(exclude=["household", "region"], validate_constraints=False)
    if (
        person.active
        and Person.objects.filter(id_number=person.id_number, active=True).exclude(pk=person.pk).exists()
    ):
        raise ValidationError({"id_number": _id_conflict_message(person, actor)})


# --- Households ----------------------------------------------------------------------------------


@transaction.atomic
def household_create(
    *,
    actor: User,
    region: Region,
    address: str,
    household_number: str = "",
    contact_phone: str = "",
    is_urban: bool = False,
    heating_type: str = HeatingType.COAL,
    housing_condition: str = HousingCondition.SAFE,
    monthly_income: Decimal = Decimal("0"),
    expense_medical: Decimal = Decimal("0"),
    expense_education: Decimal = Decimal("0"),
    expense_heating: Decimal = Decimal("0"),
    expense_disaster: Decimal = Decimal("0"),
    note: str = "",
) -> Household:
    require_actor(actor, region.code)
    household = Household(
        region=region,
        address=address,
        household_number=(household_number or "").strip(),
        contact_phone=(contact_phone or "").strip(),
        is_urban=is_urban,
        heating_type=heating_type,
        housing_condition=housing_condition,
        monthly_income=monthly_income,
        expense_medical=expense_medical,
        expense_education=expense_education,
        expense_heating=expense_heating,
        expense_disaster=expense_disaster,
        note=note,
        created_by=actor,
    )
    household.full_clean(validate_constraints=False)
    _save_household(household)
    return household


@transaction.atomic
def household_update(*, actor: User, household: Household, **changes: Any) -> Household:
    """Change a household's fields (see HOUSEHOLD_FIELDS). Moving it to another region moves its
    members, assistance records and visits with it."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_actor(actor, household.region_id)
    old_region = household.region_id
    changed = _set_fields(household, changes, HOUSEHOLD_FIELDS)
    if not changed:
        return household
    if household.region_id != old_region:
        require_in_scope(actor, household.region_id)
    household.full_clean(validate_constraints=False)
    _save_household(household)
    if household.region_id != old_region:
        for model in (Person, Assistance, Visit):
            model.objects.filter(household=household).update(region_id=household.region_id)
        PaymentAccount.objects.filter(person__household=household).update(region_id=household.region_id)
        _refresh_household(household.pk)  # another region: its rules, policy values, warnings
    return household


@transaction.atomic
def household_set_head(*, actor: User, household: Household, person: Person) -> Household:
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_actor(actor, household.region_id)
    if person.household_id != household.pk or not person.active:
        raise ValidationError({"head": _("户主必须是本户的有效成员")})
    if household.head_id and household.head_id != person.pk:
        Person.objects.filter(pk=household.head_id, relation=Relation.HEAD).update(relation=Relation.OTHER)
    household.head = person
    household.save(update_fields=["head", "updated_at"])
    if person.relation != Relation.HEAD:
        person.relation = Relation.HEAD
        person.save(update_fields=["relation", "updated_at"])
    return household


# --- People --------------------------------------------------------------------------------------


@transaction.atomic
def person_add(
    *,
    actor: User,
    household: Household,
    name: str,
    id_number: str,
    relation: str = Relation.OTHER,
    phone: str = "",
    make_head: bool = False,
    lives_alone: bool = False,
    has_disability: bool = False,
    disability_level: int | None = None,
    severe_illness: bool = False,
    unable_self_care: bool = False,
    is_student: bool = False,
    is_orphan: bool = False,
    is_unsupported_child: bool = False,
    is_left_behind_child: bool = False,
    is_child_in_distress: bool = False,
    guardian_name: str = "",
    guardian_phone: str = "",
    guardian_relation: str = "",
    carer_name: str = "",
    carer_phone: str = "",
    note: str = "",
) -> Person:
    """Add a member to a household. With `make_head` (or relation=户主 in a household without a
    head) the person becomes the head."""
    require_actor(actor, household.region_id)
    person = Person(
        household=household,
        region_id=household.region_id,
        name=(name or "").strip(),
        id_number=id_number,
        relation=relation,
        phone=(phone or "").strip(),
        lives_alone=lives_alone,
        has_disability=has_disability,
        disability_level=disability_level,
        severe_illness=severe_illness,
        unable_self_care=unable_self_care,
        is_student=is_student,
        is_orphan=is_orphan,
        is_unsupported_child=is_unsupported_child,
        is_left_behind_child=is_left_behind_child,
        is_child_in_distress=is_child_in_distress,
        guardian_name=guardian_name,
        guardian_phone=guardian_phone,
        guardian_relation=guardian_relation,
        carer_name=carer_name,
        carer_phone=carer_phone,
        note=note,
    )
    _prepare_person(person, actor)
    _save_person(person, actor)
    if make_head or (relation == Relation.HEAD and not household.head_id):
        household_set_head(actor=actor, household=household, person=person)
        household.refresh_from_db(fields=["head"])
    _refresh_person(person)
    return person


@transaction.atomic
def person_update(*, actor: User, person: Person, **changes: Any) -> Person:
    """Change a member's fields (see PERSON_FIELDS); sex and birth date follow the ID number."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    require_actor(actor, person.region_id)
    if not _set_fields(person, changes, PERSON_FIELDS):
        return person
    _prepare_person(person, actor)
    _save_person(person, actor)
    _refresh_person(person)
    return person


@transaction.atomic
def person_deactivate(*, actor: User, person: Person, reason: str) -> Person:
    """Mark a member as no longer active (moved out, died, cancelled); the ID number is then free
    to be registered in another household."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    require_actor(actor, person.region_id)
    if not reason.strip():
        raise ValidationError({"note": _("请填写注销原因")})
    if not person.active:
        return person
    person.active = False
    person.note = f"{person.note}\n{timezone.localdate():%Y-%m-%d} 注销：{reason}".strip()
    person.save(update_fields=["active", "note", "updated_at"])
    Household.objects.filter(pk=person.household_id, head=person).update(head=None)
    _refresh_person(person)  # no longer due
    return person


# --- Visits --------------------------------------------------------------------------------------


@transaction.atomic
def visit_record(
    *,
    actor: User,
    household: Household,
    person: Person | None = None,
    visited_at: datetime.datetime | None = None,
    kind: str = VisitKind.GENERAL,
    channel: str = VisitChannel.HOME,
    heating_ok: bool | None = None,
    food_ok: bool | None = None,
    clothing_ok: bool | None = None,
    house_safe: bool | None = None,
    health_ok: bool | None = None,
    mental_ok: bool | None = None,
    guardian_present: bool | None = None,
    needs: str = "",
    follow_up: str = "",
    follow_up_note: str = "",
    next_visit_due: datetime.date | None = None,
    note: str = "",
) -> Visit:
    """Record a visit by `actor` (the visitor)."""
    require_actor(actor, household.region_id)
    visit = Visit(
        household=household,
        person=person,
        region_id=household.region_id,
        visitor=actor,
        visited_at=visited_at or timezone.now(),
        kind=kind,
        channel=channel,
        heating_ok=heating_ok,
        food_ok=food_ok,
        clothing_ok=clothing_ok,
        house_safe=house_safe,
        health_ok=health_ok,
        mental_ok=mental_ok,
        guardian_present=guardian_present,
        needs=needs,
        follow_up=follow_up or "",
        follow_up_note=follow_up_note,
        next_visit_due=next_visit_due,
        note=note,
    )
    _validate_visit(visit)
    visit_rules.check_next_visit(visit)
    visit.save()
    _refresh_household(household.pk)  # a household visit counts for every member
    from people.needs import visit_needs_open, visit_overdue_recheck

    visit_needs_open(visit=visit, actor=actor)  # what it found becomes someone's task
    visit_overdue_recheck(visit)  # the visit-overdue alert it answers clears now, with its task
    return visit


@transaction.atomic
def visit_update(*, actor: User, visit: Visit, **changes: Any) -> Visit:
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    require_actor(actor, visit.region_id)
    changed = _set_fields(visit, changes, VISIT_FIELDS)
    if changed:
        _validate_visit(visit)
        if {"next_visit_due", "person", "visited_at", "note"} & set(changed):
            visit_rules.check_next_visit(visit)
        visit.save()
        _refresh_household(visit.household_id)
    return visit


def _validate_visit(visit: Visit) -> None:
    visit.full_clean(exclude=["household", "region", "visitor"], validate_constraints=False)
    if visit.visited_at > timezone.now() + datetime.timedelta(minutes=10):
        raise ValidationError({"visited_at": _("探访时间不能晚于当前时间")})
    if visit.next_visit_due and visit.next_visit_due < timezone.localtime(visit.visited_at).date():
        raise ValidationError({"next_visit_due": _("下次探访日期不能早于本次探访")})
    if visit.follow_up and visit.follow_up != "other" and not (visit.needs or visit.follow_up_note):
        raise ValidationError({"needs": _("需要跟进时请写明反映的困难和需求")})


# --- Roster uploads (the Excel import itself: people/roster/) ------------------------------------


@transaction.atomic
def roster_upload_create(*, actor: User, file: UploadedFile, commit: bool = False) -> RosterUpload:
    """Store an uploaded roster and start its dry run; `commit`: start writing it at once instead
    (the API's `dry_run=false`: any bad row writes nothing, and the job's report lists every one)."""
    from relief.jobs.services import job_start

    require_writer(actor)
    name = file.name or "roster.xlsx"
    if file.size and file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("文件过大（上限 50MB）")})
    try:
        # the format by content (.xlsx/.xlsm/.xls/.ods/.csv, whatever the name says), the zip and each
        # sheet's declared size, a CSV's encoding; rows in the job
        check_table(file, stream=False)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    upload = RosterUpload(original_name=name[:255], region=actor.region, uploaded_by=actor)
    upload.file.save(name, file, save=False)
    upload.save()
    if commit:
        upload.commit_job = job_start(
            actor=actor,
            kind=ROSTER_IMPORT_JOB,
            title=_("花名册导入：%(name)s") % {"name": upload.original_name},
            params={"upload_id": upload.pk, "commit": True},
        )
        upload.save(update_fields=["commit_job"])
        return upload
    upload.dry_run_job = job_start(
        actor=actor,
        kind=ROSTER_IMPORT_JOB,
        title=_("花名册预检：%(name)s") % {"name": upload.original_name},
        params={"upload_id": upload.pk, "commit": False},
    )
    upload.save(update_fields=["dry_run_job"])
    return upload


@transaction.atomic
def roster_commit_start(*, actor: User, upload: RosterUpload) -> Job:
    """Start writing a checked roster. Only after a dry run without errors; a commit already queued,
    running or done is returned as it is (pressing the button twice imports once)."""
    from relief.jobs.services import job_start

    require_writer(actor)
    upload = (
        RosterUpload.objects.select_for_update(of=("self",))
        .select_related("dry_run_job", "commit_job")
        .get(pk=upload.pk)
    )
    dry = upload.dry_run_job
    if dry is None and upload.commit_job is not None:  # started as a commit (the API's dry_run=false)
        return upload.commit_job
    if dry is None or dry.state != JobState.SUCCEEDED:
        raise ValidationError(_("预检尚未完成，请稍候"), code=ROSTER_DRY_RUN_UNFINISHED)
    if dry.result.get("error_count"):
        raise ValidationError(_("预检发现错误，请修改文件后重新上传"), code=ROSTER_DRY_RUN_HAS_ERRORS)
    if upload.commit_job and upload.commit_job.state in (
        JobState.PENDING,
        JobState.RUNNING,
        JobState.SUCCEEDED,
    ):
        return upload.commit_job
    upload.commit_job = job_start(
        actor=actor,
        kind=ROSTER_IMPORT_JOB,
        title=_("花名册导入：%(name)s") % {"name": upload.original_name},
        params={"upload_id": upload.pk, "commit": True},
    )
    upload.save(update_fields=["commit_job"])
    return upload.commit_job
