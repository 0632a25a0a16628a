"""Rate limits for the API accounts of other systems (role api_client). Staff using the pages and
the API from a browser are not limited here. Rates come from the environment (relief/settings.py:
API_CLIENT_RATE); a refused call answers 429 with Retry-After."""

from __future__ import annotations

from rest_framework.throttling import UserRateThrottle

from relief.models import Role


class ApiClientRateThrottle(UserRateThrottle):
    scope = "api_client"

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated and getattr(user, "role", None) == Role.API_CLIENT):
            return True
        return super().allow_request(request, view)
