"""Applications, reviews and appeals are shown read-only: they change only through the services and
the declared steps (pages, API), so every step is checked and recorded."""

from django.contrib import admin

from enrolments.models import Appeal, Enrolment, Review


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnly):
    list_display = ["id", "household", "kind", "origin", "status", "accepted_on", "deadline", "decided_on"]
    list_filter = ["kind", "status", "origin"]


@admin.register(Review)
class ReviewAdmin(ReadOnly):
    list_display = ["id", "household", "assistance", "due_on", "status", "outcome"]
    list_filter = ["status", "outcome"]


@admin.register(Appeal)
class AppealAdmin(ReadOnly):
    list_display = ["id", "kind", "region", "received_on", "due_on", "status", "outcome"]
    list_filter = ["kind", "status"]
