from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission


class RegionRolePermission(BasePermission):
    """Logged-in, active users only; writes need a role that may write. Which records a user
    reaches is decided by the scoped queryset (relief.api.mixins.ScopedViewSetMixin)."""

    message = _("您的角色只能查看，不能修改记录")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method in SAFE_METHODS:
            return True
        return bool(user.can_write)


class IsRegionAdmin(BasePermission):
    message = _("只有管理员可以执行此操作")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_region_admin)


class IsActiveUser(BasePermission):
    """Logged-in and active, whatever the role: for reads made with POST (revealing a number)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
