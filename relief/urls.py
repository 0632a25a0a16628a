from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from relief import offline, views
from relief.alerts import views as alert_views
from relief.jobs import views as job_views
from relief.todo import views as todo_views

handler400 = "relief.api.errors.bad_request"
handler404 = "relief.api.errors.page_not_found"
handler500 = "relief.api.errors.server_error"

urlpatterns = [
    path("", todo_views.today, name="home"),
    path("sw.js", offline.service_worker, name="service-worker"),
    path("manifest.webmanifest", offline.manifest, name="web-manifest"),
    path("offline/", offline.outbox, name="offline-outbox"),
    path("tasks/", todo_views.task_list, name="task-list"),
    path("tasks/<int:pk>/", todo_views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/supervise/", todo_views.task_supervise, name="task-supervise"),
    path("tasks/<int:pk>/<slug:step>/", todo_views.task_step, name="task-step"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("regions/", views.region_list, name="region-list"),
    path("regions/export/", views.region_export, name="region-export"),
    path("regions/<str:code>/", views.region_detail, name="region-detail"),
    path("jobs/", job_views.job_list, name="job-list"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job-detail"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job-download"),
    path("jobs/<int:pk>/retry/", job_views.job_step, {"step": "retry"}, name="job-retry"),
    path("jobs/<int:pk>/<slug:step>/", job_views.job_step, name="job-step"),
    path("policy/", views.policy, name="policy"),
    path("reveal/<str:model_label>/<str:pk>/<str:field>/", views.reveal, name="reveal"),
    path("files/<str:model_label>/<str:pk>/<str:field>/", views.file_download, name="file-download"),
    path("alerts/", alert_views.alert_list, name="alert-list"),
    path("alerts/sweep/", alert_views.sweep_run, name="sweep-run"),
    path("alerts/<int:pk>/", alert_views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/<slug:step>/", alert_views.alert_step, name="alert-step"),
    path("dashboard/reports/", include("reports.urls")),
    path("dashboard/", include("relief.dashboard.urls")),
    path("people/", include("people.urls")),
    path("funds/", include("funds.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("charity/", include("charity.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("enrolments/", include("enrolments.urls")),
    path("patrols/", include("patrols.urls")),
    path("coldwaves/", include("coldwaves.urls")),
    path("institutions/", include("institutions.urls")),
    path("supervision/", include("supervision.urls")),
    path("exchange/dispositions/", include("exchange.urls_dispositions")),
    path("exchange/", include("exchange.urls")),
    path("api/v1/", include(("relief.api.urls", "api"), namespace="api")),
    path("admin/", admin.site.urls),
]
# MEDIA_URL is never served: uploaded files leave only through the scoped views above
# (file-download, job-download), as attachments.
