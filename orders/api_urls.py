"""API routes of customers, orders, their stages and payments (mounted under /api/)."""
urlpatterns: list = []
