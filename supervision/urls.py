from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.trip_new, name="new"),
    path("findings/", views.finding_list, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/answer/", views.finding_answer, name="finding-answer"),
    path("findings/<int:pk>/<slug:step>/", views.finding_step, name="finding-step"),
    path("<int:pk>/", views.trip_detail, name="trip"),
    path("<int:pk>/findings/new/", views.finding_new, name="finding-new"),
    path("<int:pk>/<slug:step>/", views.trip_step, name="trip-step"),
]
