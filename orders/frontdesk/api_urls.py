"""API routes of the front desk (mounted under /api/)."""
urlpatterns: list = []
