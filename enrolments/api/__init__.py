"""/api/v1/enrolments/, /api/v1/enrolment-reviews/, /api/v1/appeals/.

Reads are scoped by `ScopedViewSetMixin` (out of region: 404); every write is one service or one
declared step (enrolments/workflows.py, reviews.py, appeals.py: one `@action` per step, and the
steps the caller may take now as `available_actions`). ID and phone numbers, and numbers typed into
free text, are masked for roles that do not need them (relief/privacy.py).

- applications.py: applications (online filing from another system, `external_id` once), their
  members, log, the current stage's due date and the rules' suggestion;
- followups.py: the periodic reviews of a category and appeals and complaints.
"""

from __future__ import annotations

from enrolments.api.applications import EnrolmentViewSet
from enrolments.api.followups import AppealViewSet, ReviewViewSet


def register(router) -> None:
    router.register("enrolments", EnrolmentViewSet, basename="enrolment")
    router.register("enrolment-reviews", ReviewViewSet, basename="enrolment-review")
    router.register("appeals", AppealViewSet, basename="appeal")


__all__ = ["AppealViewSet", "EnrolmentViewSet", "ReviewViewSet", "register"]
