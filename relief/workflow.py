"""Workflows declared once, as data.

A workflow is one `Workflow(...)` in its app (`funds/workflows.py`, `institutions/workflows.py`, ...):
the model, its state field, its log model, and its steps. Each `Step` says what it is called (name,
Chinese label), where it may start (source states), where it ends (target state, or none for a step
that records without moving), a condition on the object, who may take it, and the fields it needs.

From that one declaration come:
- the service step `workflow.run(step, actor=..., obj=..., **data)`: lock the row, check scope, state,
  condition and role, apply, save, write one log row and the history reason, in one transaction;
- `workflow.available(obj, user)`: the steps a given user may take now. Pages draw their buttons from
  it (`relief/_workflow_actions.html`) and the API shows it as `available_actions` on every object;
- the API actions (`relief.api.workflow.workflow_actions`) and the page form (`workflow.form_for`).

Guards:
- `when(obj) -> str | None`: a condition on the object ("only 支出型 applications have a 公示"):
  a message means the step does not apply now (ValidationError, 400, and no button).
- `who(actor, obj) -> str | None`: who may take the step beyond being a writer in the object's region
  ("county or above"): a message means this actor may not (PermissionDenied, 403, and no button).
- `apply(ctx)`: the step's own work on the locked object (validate the inputs, set fields, lock
  related rows *after* the object: the one lock order). It may raise ValidationError.

Lock order everywhere: the workflow object's row first, then the rows it depends on.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.scoping import in_scope, require_in_scope, require_writer

Guard = Callable[..., "str | None"]


@dataclass(frozen=True)
class Param:
    """One input a step needs. `kind`: text, comment (multi-line), money, decimal, int, bool, date,
    datetime, choice, ref (a region-scoped record, by pk), file."""

    name: str
    kind: str = "text"
    label: Any = ""
    required: bool = False
    choices: Sequence[tuple[str, Any]] | None = None
    #: for kind "ref": "app_label.Model" of the record; it must be region-scoped
    model: str = ""
    max_length: int = 2000
    help_text: Any = ""


@dataclass(frozen=True)
class Step:
    name: str
    label: Any
    sources: tuple[str, ...]
    #: the state after the step; None: the state does not change (a step that only records)
    target: str | None = None
    params: tuple[Param, ...] = ()
    when: Guard | None = None
    who: Guard | None = None
    apply: Callable[[StepContext], None] | None = None
    #: which input becomes the log row's comment
    comment_param: str = "comment"
    #: the comment must not be empty (message shown when it is)
    comment_required: Any = None
    #: fields of the object the step sets (saved with the state)
    fields: tuple[str, ...] = ()
    #: sets <stamp>_by and <stamp>_at to the actor and now
    stamp: str = ""
    #: URL segment of the API action (default: the name with hyphens)
    url_path: str = ""
    #: taken by the system (actor None) only: never offered to a person
    system: bool = False
    #: button style on pages (Bootstrap colour) and an optional confirmation question: text (where
    #: "{amount}" is filled in on the page from the form's amount input) or a function of the object
    style: str = "primary"
    confirm: Any = None
    #: the message when the object is in none of `sources` (may use %(state)s, the current state's
    #: label); default: "当前状态为“…”，不能<label>"
    state_message: Any = None
    #: a `who` refusal is a ValidationError (400) rather than PermissionDenied (403): for rules on
    #: this object's history ("not the applicant", "not the owner") that were always answered 400
    who_invalid: bool = False
    #: the log row's `action` (default: the step's name), for logs whose actions were named before
    #: the step was declared (an alert's "acknowledged" is the step "acknowledge")
    log_action: str = ""

    @property
    def api_path(self) -> str:
        return self.url_path or self.name.replace("_", "-")


@dataclass
class StepContext:
    """What a step's `apply` works on: the locked object, the actor, the inputs; it may add fields
    to save, change the log comment and add values to the log row (e.g. an amount)."""

    workflow: Workflow
    step: Step
    obj: models.Model
    actor: Any
    data: dict[str, Any]
    comment: str = ""
    fields: set[str] = field(default_factory=set)
    log_extra: dict[str, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class Workflow:
    def __init__(
        self,
        *,
        name: str,
        model: type[models.Model],
        steps: Iterable[Step],
        log_model: type[models.Model] | None = None,
        log_fk: str = "",
        state_field: str = "status",
        region_path: str = "region_id",
        lock_related: Sequence[str] = (),
        history: bool = False,
        updated_field: str = "",
        writers_only: bool = True,
        lock_before: Callable[[Any], None] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.log_model = log_model
        self.log_fk = log_fk
        self.state_field = state_field
        self.region_path = region_path
        self.lock_related = tuple(lock_related)
        self.history = history
        self.updated_field = updated_field
        #: False: a read-only role may take steps too, as the steps' `who` allows (a background job
        #: is its owner's, whatever the role: a province official retries the export they started)
        self.writers_only = writers_only
        #: locks what must be locked before the object (a task's alert: one lock order everywhere)
        self.lock_before = lock_before
        self.steps: dict[str, Step] = {}
        for step in steps:
            if step.name in self.steps:
                raise ValueError(f"{name}: step {step.name!r} declared twice")
            self.steps[step.name] = step
        REGISTRY[name] = self

    def __repr__(self) -> str:
        return f"<Workflow {self.name}: {', '.join(self.steps)}>"

    # --- reading ---------------------------------------------------------------------------------

    def step(self, name: str) -> Step:
        try:
            return self.steps[name]
        except KeyError:
            raise ValidationError(_("未知的操作")) from None

    def state_of(self, obj: models.Model) -> str:
        return getattr(obj, self.state_field)

    def region_of(self, obj: models.Model) -> str | None:
        value: Any = obj
        for part in self.region_path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def refusal(self, step: Step, obj: models.Model, user) -> str | None:
        """Why `user` may not take `step` on `obj` now (None: they may). Nothing is locked: a page
        draws its buttons from this, and `run` checks it again under the lock."""
        if step.system:
            return _("该操作由系统自动执行")
        if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
            return _("请先登录")
        if self.writers_only and not user.can_write:
            return _("您的角色只能查看，不能修改记录")
        if not in_scope(user, self.region_of(obj)):
            return _("该区划不在您的管辖范围内")
        if self.state_of(obj) not in step.sources:
            return self._state_message(step, obj)
        if step.when is not None and (message := step.when(obj)):
            return message
        if step.who is not None and (message := step.who(user, obj)):
            return message
        return None

    def available(self, obj: models.Model, user) -> list[Step]:
        """The steps `user` may take on `obj` now, in declaration order: those `refusal()` has
        nothing against, found the cheap way (lists show this for every row): the user's role and
        region once, then the state, before any step's own guards, and no refusal text is built."""
        if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
            return []
        user = getattr(user, "_wrapped", user)  # a request's lazy user, read once
        if (self.writers_only and not user.can_write) or not in_scope(user, self.region_of(obj)):
            return []
        state = self.state_of(obj)
        return [
            s
            for s in self.steps.values()
            if not s.system
            and state in s.sources
            and (s.when is None or not s.when(obj))
            and (s.who is None or not s.who(user, obj))
        ]

    def available_names(self, obj: models.Model, user) -> list[str]:
        return [s.name for s in self.available(obj, user)]

    def _state_message(self, step: Step, obj: models.Model) -> str:
        display = getattr(obj, f"get_{self.state_field}_display", None)
        state = display() if display else self.state_of(obj)
        if step.state_message:
            return str(step.state_message) % {"state": state}
        return _("当前状态为“%(state)s”，不能%(what)s") % {"state": state, "what": step.label}

    # --- writing ---------------------------------------------------------------------------------

    def lock(self, obj_or_pk: Any) -> models.Model:
        pk = getattr(obj_or_pk, "pk", obj_or_pk)
        if self.lock_before is not None:
            self.lock_before(pk)
        qs = self.model._default_manager.select_for_update(of=("self",))
        if self.lock_related:
            qs = qs.select_related(*self.lock_related)
        return qs.get(pk=pk)

    def run(self, step_name: str, *, actor: Any, obj: models.Model, **data: Any) -> models.Model:
        """Take a step: one transaction, the object's row locked, one log row. Returns the object."""
        step = self.step(step_name)
        with transaction.atomic():
            if actor is None:
                if not step.system:
                    raise PermissionDenied(_("该操作须由工作人员办理"))
            else:
                if step.system:
                    raise PermissionDenied(_("该操作由系统自动执行"))
                if self.writers_only:
                    require_writer(actor)
            locked = self.lock(obj)
            if actor is not None:
                require_in_scope(actor, self.region_of(locked))
            old = self.state_of(locked)
            if old not in step.sources:
                raise ValidationError(self._state_message(step, locked))
            if step.when is not None and (message := step.when(locked)):
                raise ValidationError(message)
            if actor is not None and step.who is not None and (message := step.who(actor, locked)):
                raise (ValidationError if step.who_invalid else PermissionDenied)(message)
            comment = data.get(step.comment_param, "")
            comment = comment.strip() if isinstance(comment, str) else ""
            if step.comment_required and not comment:
                raise ValidationError({step.comment_param: str(step.comment_required)})
            ctx = StepContext(self, step, locked, actor, data, comment=comment)
            if step.apply is not None:
                step.apply(ctx)
            fields = set(ctx.fields) | set(step.fields)
            if step.target is not None and step.target != old:
                setattr(locked, self.state_field, step.target)
                fields.add(self.state_field)
            if step.stamp:
                setattr(locked, f"{step.stamp}_by", actor)
                setattr(locked, f"{step.stamp}_at", timezone.now())
                fields |= {f"{step.stamp}_by", f"{step.stamp}_at"}
            if fields:
                if self.updated_field:
                    fields.add(self.updated_field)
                if self.history:
                    locked._history_user = actor
                    locked._change_reason = f"{step.label}：{ctx.comment}" if ctx.comment else str(step.label)
                locked.save(update_fields=sorted(fields))  # lint: allow-save (a service step)
            if self.log_model is not None:
                self.log_model.objects.create(
                    **{self.log_fk: locked},
                    action=step.log_action or step.name,
                    from_state=old,
                    to_state=self.state_of(locked),
                    actor=actor,
                    comment=ctx.comment,
                    **ctx.log_extra,
                )
            for listener in AFTER_STEP:
                listener(self, step, locked)
            for callback in ctx.after_commit:
                transaction.on_commit(callback)
        return locked

    def log(
        self, obj: models.Model, *, action: str, actor: Any, comment: str = "", from_state: str = ""
    ) -> None:
        """A log row for a record's creation (or another event outside the declared steps)."""
        if self.log_model is not None:
            self.log_model.objects.create(
                **{self.log_fk: obj},
                action=action,
                from_state=from_state,
                to_state=self.state_of(obj),
                actor=actor,
                comment=comment,
            )

    # --- pages -----------------------------------------------------------------------------------

    def form_for(self, step: Step, data: Any = None, files: Any = None, *, user: Any = None):
        """A Django form with the step's inputs (for the generic page buttons and POST handler)."""
        from relief.forms import step_form

        return step_form(step, data=data, files=files, user=user, prefix=step.name)


REGISTRY: dict[str, Workflow] = {}
#: called inside every step's transaction after its log row, with (workflow, step, object): the
#: tasks (relief/todo) follow the records they are about this way, at once
AFTER_STEP: list[Callable[[Workflow, Step, models.Model], None]] = []


# --- shared guards ---------------------------------------------------------------------------------


def scope_length(user) -> int:
    """0 for administrators; else the length of the user's region code (2 province … 12 village)."""
    return 0 if user.is_region_admin else len(user.scope_code or "")


def township_or_above(user, obj=None) -> str | None:
    if scope_length(user) > 9:
        return gettext_lazy("该操作须由乡镇（街道）或县级民政工作人员办理")
    return None


def county_or_above(user, obj=None) -> str | None:
    if scope_length(user) > 6:
        return gettext_lazy("该操作须由县级民政部门办理")
    return None


def not_the_same_person(field_name: str, message: Any) -> Guard:
    """The step must be taken by someone other than the user named in `field_name` (second pair of
    eyes: verification, closure, deciding one's own request)."""

    def guard(user, obj) -> str | None:
        if getattr(obj, f"{field_name}_id", None) is not None and getattr(obj, f"{field_name}_id") == user.pk:
            return message
        return None

    return guard


def all_of(*guards: Guard) -> Guard:
    def guard(*args) -> str | None:
        for g in guards:
            if message := g(*args):
                return message
        return None

    return guard


def money(value: Any, field_name: str, *, positive: bool = True) -> Decimal:
    """Money from an input: Decimal to the cent, never float; a Chinese message when it is not."""
    from decimal import ROUND_HALF_UP

    if isinstance(value, float):
        raise TypeError("money must be Decimal, not float")
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except Exception:
        raise ValidationError({field_name: _("金额格式不正确")}) from None
    if amount < 0 or (positive and amount == 0):
        raise ValidationError({field_name: _("金额必须大于0")})
    return amount


def today() -> datetime.date:
    return timezone.localdate()
