"""URLs of the schedule (档期): calendar, bookings, day sheet, gowns and outdoor locations."""
from django.urls import path

from . import schedule_views as views

urlpatterns = [
    path("schedule/", views.calendar, name="calendar"),
    path("schedule/day-sheet/", views.day_sheet_page, name="day_sheet"),
    path("schedule/book/<int:stage_pk>/", views.book, name="book"),
    path("schedule/bookings/<int:pk>/", views.booking_page, name="booking"),
    path("schedule/bookings/<int:pk>/move/", views.move, name="move"),
    path("schedule/bookings/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("schedule/bookings/<int:pk>/gowns/", views.gown_pick, name="gown_pick"),
    path("schedule/people/<int:user_pk>/", views.person, name="person"),
    path("gowns/", views.gowns, name="gowns"),
    path("gowns/<int:pk>/", views.gown_edit, name="gown_edit"),
    path("gowns/<int:pk>/photo/", views.gown_photo, name="gown_photo"),
    path("locations/", views.locations, name="locations"),
    path("locations/<int:pk>/", views.location_edit, name="location_edit"),
]
