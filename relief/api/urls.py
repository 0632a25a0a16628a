"""/api/v1/: the core's endpoints, plus those every app registers in its own `api.py` through a
`register(router)` function (found like Django admin's autodiscovery, so relief imports no app)."""

from __future__ import annotations

from importlib import import_module, util

from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from relief.api import views
from relief.todo.api import TaskViewSet

router = DefaultRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("jobs", views.JobViewSet, basename="job")
router.register("policy-parameters", views.PolicyParameterViewSet, basename="policyparameter")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("tasks", TaskViewSet, basename="task")

#: routes an app adds that are not a viewset (its api module's `api_urlpatterns()`)
app_urlpatterns: list = []
for app_name in settings.DOMAIN_APPS:
    if util.find_spec(f"{app_name}.api") is None:
        continue
    module = import_module(f"{app_name}.api")
    if hasattr(module, "register"):
        module.register(router)
    if hasattr(module, "api_urlpatterns"):
        app_urlpatterns += module.api_urlpatterns()

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("reveal/", views.RevealView.as_view(), name="reveal"),
    path("dashboard/", include("relief.dashboard.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its start-up script from ?script, so the page needs no inline script
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *app_urlpatterns,
    *router.urls,
]
