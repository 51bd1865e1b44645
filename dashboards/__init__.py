"""Dashboards: read-only views composed from the other apps' selectors."""
