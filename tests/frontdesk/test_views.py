"""Front desk pages as the menu leads to them."""
import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_menu_names_the_day_sheet_as_the_page_it_opens(client, front_desk):
    client.force_login(front_desk)
    html = client.get(reverse("home")).content.decode()
    link = f'href="{reverse("frontdesk:day_sheet")}" data-testid="nav-day-sheet">当日档期表</a>'
    assert link in html and "明日档期单" not in html
    page = client.get(reverse("frontdesk:day_sheet"))
    assert page.context["on"] == timezone.localdate()  # today's, as the menu says
