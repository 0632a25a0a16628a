from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("generate/", views.generate, name="generate"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/<str:fmt>/", views.download, name="download"),
]
