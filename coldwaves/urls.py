from django.urls import path

from coldwaves import duty_views, plan_views, views

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
    path("plans/", plan_views.plans, name="plans"),
    path("plans/new/", plan_views.plan_new, name="plan-new"),
    path("plans/<int:pk>/", plan_views.plan, name="plan"),
    path("plans/<int:pk>/edit/", plan_views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/reserves/", plan_views.plan_reserves, name="plan-reserves"),
    path("plans/<int:pk>/drills/", plan_views.plan_drill, name="plan-drill"),
]
