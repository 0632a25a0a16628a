from django.urls import path

from enrolments import views

app_name = "enrolments"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.enrolment_create, name="create"),
    path("<int:pk>/", views.enrolment_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.enrolment_action, name="action"),
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/<slug:action>/", views.review_action, name="review-action"),
    path("appeals/", views.appeal_list, name="appeal-list"),
    path("appeals/new/", views.appeal_create, name="appeal-create"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal-detail"),
    path("appeals/<int:pk>/<slug:action>/", views.appeal_action, name="appeal-action"),
]
