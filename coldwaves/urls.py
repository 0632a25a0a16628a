from django.urls import path

from coldwaves import duty_views, views

app_name = "coldwaves"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.rollcall, name="rollcall"),
    path("entries/", views.entry_list, name="entries"),
    path("entries/<int:pk>/", views.entry, name="entry"),
    path("entries/<int:pk>/answer/", views.answer, name="answer"),
    path("duty/", duty_views.duty_page, name="duty"),
    path("duty/shifts/new/", duty_views.shift_add, name="shift-add"),
    path("duty/calls/new/", duty_views.call_log, name="call-log"),
    path("duty/calls/<int:pk>/<str:action>/", duty_views.call_action, name="call-action"),
]
