from django.urls import path

from volunteers import views

app_name = "volunteers"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.volunteer_new, name="new"),
    path("assign/", views.assign, name="assign"),
    path("review/", views.review_queue, name="review"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.volunteer_edit, name="edit"),
    path("<int:pk>/clue/", views.clue_report, name="clue"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<int:pk>/visit/", views.record_visit, name="record-visit"),
    path("assignments/<int:pk>/encounter/", views.record_encounter, name="record-encounter"),
    path("assignments/<int:pk>/deliveries/<int:entry>/", views.record_delivery, name="record-delivery"),
    path("assignments/<int:pk>/<slug:action>/", views.assignment_step, name="assignment-step"),
]
