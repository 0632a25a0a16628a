from django.urls import path

from charity import views

app_name = "charity"

urlpatterns = [
    path("", views.index, name="index"),
    path("donors/", views.donor_list, name="donors"),
    path("donors/new/", views.donor_new, name="donor-new"),
    path("donors/<int:pk>/", views.donor_detail, name="donor"),
    path("donations/", views.donation_list, name="donations"),
    path("donations/new/", views.donation_new, name="donation-new"),
    path("donations/<int:pk>/", views.donation_detail, name="donation"),
    path("projects/", views.project_list, name="projects"),
    path("projects/new/", views.project_new, name="project-new"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/close/", views.project_close, name="project-close"),
    path("needs/new/", views.need_new, name="need-new"),
    path("needs/<int:pk>/", views.need_detail, name="need"),
    path("needs/<int:pk>/assign/", views.need_assign, name="assign"),
    path("needs/<int:pk>/deliver/", views.need_deliver, name="deliver"),
    path("needs/<int:pk>/close/", views.need_close, name="need-close"),
]
