"""Request plumbing: the language the person chose, the login lockout's backend, who gets the
browsable API and bad input that reached a page. (Kept in one kernel module; each piece is
named in settings.)"""
from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer

from .permissions import IsActiveStaff


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Like LocaleMiddleware, but ignores Accept-Language: staff whose browsers are set to
    English still get the Chinese UI until they pick English in the language switch."""

    def process_request(self, request) -> None:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check (AUTHENTICATION_BACKENDS, first). Every login over the web
    passes its request (the login page, the admin's, the API's token endpoint) and is counted;
    a call without one (the test client's login(), a shell) has no address to count and is no
    attempt from outside, so it goes on to the password check instead of raising."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class StaffBrowsableApiNegotiation(DefaultContentNegotiation):
    """The browsable API (HTML) is for logged-in staff; anyone else asking for HTML gets the
    API's JSON, so the pages describing each endpoint stay behind the login."""

    def select_renderer(self, request, renderers, format_suffix=None):
        # Reading request.user authenticates: a bad token raises here and answers 401 as before.
        if not IsActiveStaff().has_permission(request, None):
            renderers = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)]
        return super().select_renderer(request, renderers, format_suffix)


class BadInputMiddleware:
    """A page that raised ValidationError (a bad ?store=, a period that is not one) answers 400
    with the messages, not the 500 page: a short page for a person, JSON for a client asking
    for it. (The DRF views answer through studio.api.exception_handler, which says the same.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ValidationError):
            return None
        if hasattr(exception, "error_dict"):
            errors = {field: [str(m) for m in messages]
                      for field, messages in exception.message_dict.items()}
        else:
            errors = {"non_field_errors": list(exception.messages)}
        if request.path.startswith("/api/") or "application/json" in request.headers.get(
                "Accept", ""):
            return JsonResponse(errors, status=400)
        return render(request, "studio/bad_input.html", {
            "messages_shown": [m for messages in errors.values() for m in messages],
            "back": request.path}, status=400)
