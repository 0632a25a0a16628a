from django.urls import path

from people import account_views, assistance_views, household_page, views

app_name = "people"
urlpatterns = [
    path("", views.index, name="index"),
    path("households/new/", views.household_create, name="household-create"),
    path("households/<int:pk>/", household_page.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:pk>/members/new/", views.person_create, name="person-create"),
    path("households/<int:pk>/assistances/new/", views.assistance_create, name="assistance-create"),
    path("assistances/<int:pk>/", assistance_views.assistance_detail, name="assistance-detail"),
    path("households/<int:pk>/visits/new/", views.visit_create, name="visit-create"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("persons/<int:pk>/account/", account_views.person_account, name="person-account"),
    path("persons/<int:pk>/visit/", views.person_visit, name="person-visit"),
    path("persons/<int:pk>/deactivate/", views.person_deactivate, name="person-deactivate"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
]

urlpatterns += [
    path("roster/template/", views.roster_template, name="roster-template"),
    path("roster/import/", views.roster_upload, name="roster-upload"),
    path("roster/import/<int:pk>/", views.roster_upload_detail, name="roster-upload-detail"),
    path("roster/import/<int:pk>/errors/", views.roster_upload_errors, name="roster-upload-errors"),
    path(
        "roster/import/<int:pk>/errors.xlsx", views.roster_upload_error_file, name="roster-upload-error-file"
    ),
    path("roster/import/<int:pk>/commit/", views.roster_commit, name="roster-commit"),
    path("roster/export/", views.roster_export, name="roster-export"),
]
