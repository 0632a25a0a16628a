"""/api/v1/dashboard/ endpoints (included from relief/api/urls.py)."""

from django.urls import path

from relief.dashboard import api

urlpatterns = [
    path("summary/", api.SummaryView.as_view(), name="dashboard-summary"),
    path("trends/", api.TrendsView.as_view(), name="dashboard-trends"),
    path("map/", api.MapView.as_view(), name="dashboard-map"),
    path("ranking/", api.RankingView.as_view(), name="dashboard-ranking"),
]
