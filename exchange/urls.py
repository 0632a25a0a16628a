from django.urls import path

from exchange.views import batches

app_name = "exchange"

urlpatterns = [
    path("", batches.batch_list, name="index"),
    path("sources/", batches.source_list, name="source-list"),
    path("batches/new/", batches.batch_upload, name="batch-upload"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch-detail"),
    path("records/", batches.record_list, name="record-list"),
]
