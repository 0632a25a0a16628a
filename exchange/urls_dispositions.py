"""Pages of warnings and dispositions, under /exchange/dispositions/ (the sources, batches and records
pages of the exchange app have their own urls.py)."""

from django.urls import path

from exchange.views import dispositions as views

app_name = "exchange_dispositions"

urlpatterns = [
    path("", views.disposition_list, name="list"),
    path("open/", views.open_warning, name="open"),
    path("recovery/", views.recovery_list, name="recovery"),
    path("feedback/<slug:source_code>/", views.feedback_export, name="feedback"),
    path("<int:pk>/", views.disposition_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.disposition_step, name="step"),
]
