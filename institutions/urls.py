from django.urls import path

from institutions import views

app_name = "institutions"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.institution_create, name="institution-create"),
    path("<int:pk>/", views.institution_detail, name="institution-detail"),
    path("<int:pk>/edit/", views.institution_edit, name="institution-edit"),
    path("<int:pk>/inspect/", views.inspection_create, name="inspection-create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection-detail"),
    path("hazards/", views.hazard_list, name="hazard-list"),
    path("hazards/export/", views.hazard_export, name="hazard-export"),
    path("hazards/<int:pk>/", views.hazard_detail, name="hazard-detail"),
    path("hazards/<int:pk>/<str:action>/", views.hazard_action, name="hazard-action"),
]
