"""Region scoping: the one door every page, API view, export and task goes through.

- `ScopedQuerySet.visible_to(user)` narrows any query to the user's region (a prefix match on the
  record's region code). Records with no region are visible to administrators only.
- `get_visible_or_404(queryset, user, **lookup)` answers 404 for records outside the region, so
  existence never leaks.
- `access(queryset, user, pk, for_write=..., lock=...)`: one record for a page, API view, export or
  task: 404 outside the region (or missing), 403 for a read-only role on a write, locked on request.
- `require_actor(actor, code)`: the one actor guard of services (a writer, inside their region).
- `require_in_scope(user, code)` refuses a write that would put a record outside the user's region.
- `ScopedPageMixin` (below) for class-based pages; `relief.api.mixins.ScopedViewSetMixin` for the API.

A model joins by using `ScopedManager` and a `region` field from `region_field()`; a model whose
region lives elsewhere sets `scope_field` on its QuerySet (for example "household__region").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from relief.regions import ancestor_codes


def region_field(**kwargs: Any) -> models.ForeignKey:
    """The standard region column: `region_code`, indexed for prefix search (Django adds the
    varchar_pattern_ops index for a CharField key)."""
    options = {
        "to": "relief.Region",
        "verbose_name": "区划",
        "db_column": "region_code",
        "on_delete": models.PROTECT,
        "related_name": "+",
    }
    options.update(kwargs)
    return models.ForeignKey(**options)


def _user_ok(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


class ScopedQuerySet(models.QuerySet):
    """The one `visible_to`. A model's QuerySet says how its records are scoped, never re-implements
    the check:

    - `scope_field`: the path to the region ("region", "household__region");
    - `scope_with_ancestors`: rules that apply downwards (policy values, cold-wave warnings) are
      also visible below their region, and rows with no region (national) to everyone;
    - `scope_owner_field`: records private to the user who made them (background jobs);
    - `scope_everyone`: configuration every signed-in user reads (programs, material items).
    A model whose records belong to more than one region (a 督查 trip: the supervising body's and
    each region visited) overrides `in_region`, which `visible_to` uses, so the `?region=` filter
    and the permission agree.
    """

    #: the path from this model to its region code
    scope_field: str = "region"
    scope_with_ancestors: bool = False
    scope_owner_field: str = ""
    scope_everyone: bool = False

    def visible_to(self, user) -> ScopedQuerySet:
        if not _user_ok(user):
            return self.none()
        if user.is_region_admin or self.scope_everyone:
            return self.all()
        if self.scope_owner_field:
            return self.filter(**{self.scope_owner_field: user})
        code = user.scope_code
        if not code:
            return self.none()
        if self.scope_with_ancestors:
            field = self.scope_field if self.scope_field == "code" else f"{self.scope_field}_id"
            # the prefix match goes through the code: a foreign key has no `startswith` lookup
            prefix = self.scope_field if self.scope_field == "code" else f"{self.scope_field}__code"
            return self.filter(
                models.Q(**{f"{field}__isnull": True})
                | models.Q(**{f"{field}__in": ancestor_codes(code)})
                | models.Q(**{f"{prefix}__startswith": code})
            )
        return self.in_region(code)

    def in_region(self, code: str) -> ScopedQuerySet:
        """Records in a region, for roll-ups (not a permission check: combine with visible_to)."""
        field = self.scope_field if self.scope_field == "code" else f"{self.scope_field}__code"
        return self.filter(**{f"{field}__startswith": code})


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass


def in_scope(user, code: str | None) -> bool:
    if not _user_ok(user):
        return False
    if user.is_region_admin:
        return True
    scope = user.scope_code
    return bool(code and scope and code.startswith(scope))


def require_in_scope(user, code: str | None) -> None:
    """Raise PermissionDenied unless `code` lies inside the user's region."""
    if not in_scope(user, code):
        raise PermissionDenied(_("该区划不在您的管辖范围内"))


def require_writer(user) -> None:
    if not _user_ok(user) or not user.can_write:
        raise PermissionDenied(_("您的角色只能查看，不能修改记录"))


def require_actor(actor, region_code: str | None) -> None:
    """The one actor guard of every service write: a writer role, and the record's region inside
    the actor's own (PermissionDenied otherwise)."""
    require_writer(actor)
    require_in_scope(actor, region_code)


def access(
    queryset: models.QuerySet | type[models.Model],
    user,
    pk: Any,
    *,
    for_write: bool = False,
    lock: bool = False,
    related: tuple[str, ...] = (),
) -> models.Model:
    """The one access function for a single record, for pages, API views, exports and tasks.

    - outside the user's region, or missing, or a malformed pk: 404 (the same answer, so existence
      does not leak);
    - `for_write` and a read-only role: 403;
    - `lock`: the row is locked (`SELECT … FOR UPDATE OF` the record itself) inside the caller's
      transaction. Lock order everywhere: this record first, then what it depends on.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if not hasattr(queryset, "visible_to"):
        raise TypeError(f"{queryset.model.__name__} is not region-scoped")
    qs = queryset.visible_to(user)
    if related:
        qs = qs.select_related(*related)
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        obj = qs.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(_("未找到该记录")) from None
    if for_write:
        require_writer(user)
    return obj


def get_visible_or_404(queryset: models.QuerySet, user, **lookup: Any) -> models.Model:
    """Fetch one record the user may see; anything else is 404, so existence does not leak."""
    if not hasattr(queryset, "visible_to"):
        raise TypeError(f"{queryset.model.__name__} is not region-scoped")
    return get_object_or_404(queryset.visible_to(user), **lookup)


class ScopedPageMixin:
    """For class-based pages: `get_queryset()` is always scoped to the user; writes need a writer role.

    Views set `model` or `queryset` as usual. `write_methods` lists the HTTP methods that change data.
    """

    write_methods = ("POST", "PUT", "PATCH", "DELETE")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if request.method in self.write_methods:
            require_writer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        qs = super().get_queryset()
        if not hasattr(qs, "visible_to"):
            raise TypeError(f"{qs.model.__name__} is not region-scoped")
        return qs.visible_to(self.request.user)

    def get_object(self, queryset=None):
        try:
            return super().get_object(queryset)
        except Http404:
            raise Http404(_("未找到该记录")) from None
