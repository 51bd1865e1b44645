"""The store manager's rework decision through htmx (the record's part of the page, in place; a
refusal with its form and 400/409) and without JavaScript (a plain POST redirects, as before)."""
import pytest
from django.urls import reverse

from frontdesk.flowcards import rework_request
from frontdesk.models import Rework, ReworkStatus

from .test_flowcards import makeup, photographer, shot_order  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rework(shot_order, front_desk) -> Rework:  # noqa: F811
    return rework_request(order=shot_order, by=front_desk, reason="外景逆光", items="重拍外景一组")


def _decide(client, rework, data, **headers):
    return client.post(reverse("frontdesk:rework_decide", args=[rework.pk]), data, **headers)


def test_approving_with_htmx_answers_with_the_record_as_it_now_stands(client, manager, rework):
    client.force_login(manager)
    response = _decide(client, rework, {"decision": "approve", "note": "周六重拍"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<nav" not in html  # the record's part, not the page
    assert html.lstrip().startswith('<div id="rework" data-testid="rework">')
    assert 'data-testid="rework-done">已批准返工。' in html
    assert 'data-testid="rework-status">返工中<' in html
    assert 'data-testid="decide-form"' not in html  # decided: the form is gone
    rework.refresh_from_db()
    assert rework.status == ReworkStatus.APPROVED


def test_rejecting_without_a_reason_comes_back_with_the_reason_and_409(client, manager, rework):
    client.force_login(manager)
    response = _decide(client, rework, {"decision": "reject", "note": ""}, **HTMX)
    assert response.status_code == 409  # the form was fine; the service refused
    html = response.content.decode()
    assert 'data-testid="decide-form"' in html and "不批准时请填写原因" in html
    rework.refresh_from_db()
    assert rework.status == ReworkStatus.REQUESTED
    response = _decide(client, rework, {"decision": "maybe"}, **HTMX)
    assert response.status_code == 400  # the form's own check


def test_the_decision_without_javascript_still_redirects(client, manager, rework):
    client.force_login(manager)
    response = _decide(client, rework, {"decision": "approve"})
    assert response.status_code == 302
    assert response.url == reverse("frontdesk:rework", args=[rework.pk])
