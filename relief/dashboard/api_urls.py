"""/api/v1/dashboard/ endpoints (included from relief/api/urls.py)."""

urlpatterns: list = []
