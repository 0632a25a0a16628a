from django.urls import path

from patrols import views

app_name = "patrols"
urlpatterns = [
    path("", views.index, name="index"),
]
