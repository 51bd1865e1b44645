"""API routes of membership (mounted under /api/)."""
urlpatterns: list = []
