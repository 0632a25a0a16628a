from django.urls import path

from funds import bank_views, recovery_views, views

app_name = "funds"
urlpatterns = [
    path("", views.index, name="index"),
    path("allocations/", views.allocation_list, name="allocation-list"),
    path("allocations/<int:pk>/<slug:action>/", bank_views.allocation_change, name="allocation-change"),
    path("batches/", views.batch_list, name="batch-list"),
    path("batches/new/", views.batch_create, name="batch-create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/export/", views.batch_export, name="batch-export"),
    path("batches/<int:pk>/bank-file/", bank_views.batch_bank_file, name="batch-bank-file"),
    path("batches/<int:pk>/bank-return/", bank_views.batch_bank_return, name="batch-bank-return"),
    path("batches/<int:pk>/reissue/", bank_views.batch_reissue, name="batch-reissue"),
    path("batches/<int:pk>/<slug:action>/", views.batch_action, name="batch-action"),
    path("applications/", views.application_list, name="application-list"),
    path("applications/new/", views.application_create, name="application-create"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path("applications/<int:pk>/<slug:action>/", views.application_action, name="application-action"),
    path("recoveries/", recovery_views.recovery_list, name="recovery-list"),
    path("recoveries/new/", recovery_views.recovery_create, name="recovery-new"),
    path("recoveries/<int:pk>/", recovery_views.recovery_detail, name="recovery-detail"),
    path("recoveries/<int:pk>/<slug:action>/", recovery_views.recovery_action, name="recovery-action"),
    path("materials/", views.material_list, name="material-list"),
    path("materials/<int:pk>/", views.material_detail, name="material-detail"),
]
