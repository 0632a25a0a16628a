"""The main pages of every app, as addresses a given user may open: the list pages and forms, and one
record of each kind the user can see (the first in their region), for the layout and accessibility
checks. Built from whatever data the database holds (the e2e layout test seeds the demo)."""

from __future__ import annotations

from django.apps import apps

LISTS = [
    "/",
    "/tasks/",
    "/alerts/",
    "/dashboard/",
    "/people/",
    "/people/households/new/",
    "/people/roster/import/",
    "/funds/",
    "/funds/allocations/",
    "/funds/batches/",
    "/funds/applications/",
    "/funds/applications/new/",
    "/funds/recoveries/",
    "/funds/materials/",
    "/campaigns/",
    "/campaigns/households/",
    "/charity/",
    "/charity/donors/",
    "/charity/donations/",
    "/charity/projects/",
    "/volunteers/",
    "/volunteers/review/",
    "/enrolments/",
    "/enrolments/reviews/",
    "/enrolments/appeals/",
    "/patrols/",
    "/patrols/shifts/",
    "/patrols/clues/",
    "/patrols/clues/new/",
    "/patrols/cases/",
    "/patrols/cold-wave/",
    "/coldwaves/",
    "/coldwaves/entries/",
    "/coldwaves/duty/",
    "/coldwaves/plans/",
    "/institutions/",
    "/institutions/hazards/",
    "/supervision/",
    "/supervision/findings/",
    "/exchange/",
    "/exchange/sources/",
    "/exchange/records/",
    "/exchange/dispositions/",
    "/exchange/dispositions/recovery/",
    "/regions/",
    "/jobs/",
    "/policy/",
]

# (model, address of one record): the first record of the model the user can see
RECORDS = [
    ("people.Household", "/people/households/{pk}/"),
    ("people.Household", "/people/households/{pk}/visits/new/"),
    ("people.Household", "/enrolments/new/?household={pk}"),
    ("people.Visit", "/people/visits/{pk}/"),
    ("relief.Alert", "/alerts/{pk}/"),
    ("funds.DisbursementBatch", "/funds/batches/{pk}/"),
    ("funds.AssistanceApplication", "/funds/applications/{pk}/"),
    ("campaigns.Campaign", "/campaigns/{pk}/"),
    ("charity.Donation", "/charity/donations/{pk}/"),
    ("charity.CharityProject", "/charity/projects/{pk}/"),
    ("volunteers.Volunteer", "/volunteers/{pk}/"),
    ("enrolments.Enrolment", "/enrolments/{pk}/"),
    ("patrols.PatrolShift", "/patrols/shifts/{pk}/"),
    ("patrols.Clue", "/patrols/clues/{pk}/"),
    ("patrols.StationCase", "/patrols/cases/{pk}/"),
    ("coldwaves.RollCall", "/coldwaves/{pk}/"),
    ("coldwaves.EmergencyPlan", "/coldwaves/plans/{pk}/"),
    ("institutions.Institution", "/institutions/{pk}/"),
    ("institutions.Hazard", "/institutions/hazards/{pk}/"),
    ("supervision.SupervisionTrip", "/supervision/{pk}/"),
    ("exchange.ExchangeBatch", "/exchange/batches/{pk}/"),
    ("exchange.Disposition", "/exchange/dispositions/{pk}/"),
]


def record_pages(user) -> list[str]:
    found = []
    for label, address in RECORDS:
        manager = apps.get_model(label).objects
        rows = manager.visible_to(user) if hasattr(manager, "visible_to") else manager.all()
        pk = rows.order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            found.append(address.format(pk=pk))
    return found
