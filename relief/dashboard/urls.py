from django.urls import path

from relief.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("screen/", views.screen, name="screen"),
    path("export/", views.export, name="export"),
    path("refresh/", views.refresh, name="refresh"),
]
