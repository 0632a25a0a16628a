from django.urls import path

from funds import views

app_name = "funds"
urlpatterns = [
    path("", views.index, name="index"),
    path("allocations/", views.allocation_list, name="allocation-list"),
    path("batches/", views.batch_list, name="batch-list"),
    path("batches/new/", views.batch_create, name="batch-create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/export/", views.batch_export, name="batch-export"),
    path("batches/<int:pk>/<slug:action>/", views.batch_action, name="batch-action"),
    path("applications/", views.application_list, name="application-list"),
    path("applications/new/", views.application_create, name="application-create"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path("applications/<int:pk>/<slug:action>/", views.application_action, name="application-action"),
    path("materials/", views.material_list, name="material-list"),
    path("materials/<int:pk>/", views.material_detail, name="material-detail"),
]
