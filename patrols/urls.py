from django.urls import path

from patrols import views

app_name = "patrols"
urlpatterns = [
    path("", views.index, name="index"),
    path("shifts/", views.shift_list, name="shift-list"),
    path("shifts/new/", views.shift_create, name="shift-create"),
    path("shifts/<int:pk>/", views.shift_detail, name="shift-detail"),
    path("shifts/<int:pk>/end/", views.shift_end, name="shift-end"),
    path("shifts/<int:pk>/encounter/", views.encounter_create, name="encounter-create"),
    path("encounters/<int:pk>/", views.encounter_detail, name="encounter-detail"),
    path("clues/", views.clue_list, name="clue-list"),
    path("clues/new/", views.clue_create, name="clue-create"),
    path("clues/<int:pk>/", views.clue_detail, name="clue-detail"),
    path("clues/<int:pk>/<slug:action>/", views.clue_action, name="clue-action"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.case_create, name="case-create"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/<slug:action>/", views.case_action, name="case-action"),
    path("cold-wave/", views.coldwave, name="coldwave"),
    path("cold-wave/cap/", views.coldwave_cap, name="coldwave-cap"),
    path("cold-wave/<int:pk>/lift/", views.coldwave_lift, name="coldwave-lift"),
]
