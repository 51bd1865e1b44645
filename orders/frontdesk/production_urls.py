"""URLs of one front-desk part (included by orders/frontdesk/urls.py)."""
urlpatterns: list = []
