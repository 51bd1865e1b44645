"""Pages that htmx updates in place: a view answers an htmx request (request.htmx, from
django-htmx's middleware) with a partial of its template ("template.html#partial",
django-template-partials) and any other request with the whole page."""
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_page_or_partial(request: HttpRequest, template: str, partial: str,
                           context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """The page, or its partial for htmx. Vary: HX-Request, so that no cache (the browser's
    back button included) hands the partial out for the page or the page for the partial."""
    name = f"{template}#{partial}" if request.htmx else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
