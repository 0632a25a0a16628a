from django.urls import path

from coldwaves import views

app_name = "coldwaves"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.rollcall, name="rollcall"),
    path("entries/", views.entry_list, name="entries"),
    path("entries/<int:pk>/", views.entry, name="entry"),
    path("entries/<int:pk>/answer/", views.answer, name="answer"),
]
