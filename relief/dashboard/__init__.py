"""Dashboards: figures each app contributes (see registry), pages and API. Owned by the dashboard work."""
