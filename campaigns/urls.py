from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.campaign_new, name="new"),
    path("households/", views.household_list, name="households"),
    path("households/<int:pk>/deliver/", views.deliver, name="deliver"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:step>/", views.campaign_step, name="step"),
]
