"""A database that fails mid-request answers with a clear message and 503, never the 500 page
with a trace, and leaves nothing half-written: each multi-row write is one transaction."""
from decimal import Decimal
from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

from orders.models import OrderStage, Payment, StageEvent, StageStatus

pytestmark = pytest.mark.django_db
DOWN = OperationalError("server closed the connection unexpectedly")


@pytest.fixture(autouse=True)
def _db_error_middleware(settings):
    # Until settings.MIDDLEWARE names it (the owner of settings adds the line).
    if "studio.db_errors.DatabaseErrorMiddleware" not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "studio.db_errors.DatabaseErrorMiddleware"]


def test_a_page_whose_query_fails_shows_the_chinese_message_with_503(client, specialist, order):
    client.force_login(specialist)
    with mock.patch("orders.forms.stage_complete", side_effect=DOWN):
        response = client.post(reverse("orders:stage_complete", args=[order.pk]), {"kind": "gown"})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "数据库暂时无法处理请求" in page and "本次操作未保存" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_a_failure_halfway_through_completing_a_stage_writes_nothing(client, specialist, order):
    """The stage is saved, then writing its history row fails: the stage stays as it was."""
    client.force_login(specialist)
    with mock.patch.object(StageEvent.objects, "create", side_effect=DOWN):
        response = client.post(reverse("orders:stage_complete", args=[order.pk]), {"kind": "gown"})
    assert response.status_code == 503
    assert OrderStage.objects.get(order=order, kind="gown").status == StageStatus.PENDING
    assert not StageEvent.objects.filter(stage__order=order, stage__kind="gown").exists()


def test_a_failure_halfway_through_a_payment_writes_neither_the_entry_nor_the_total(
        client, front_desk, order):
    """The ledger entry is written, then keeping paid_total in step fails: neither stays."""
    client.force_login(front_desk)
    real_filter = type(order).objects.filter

    def failing_filter(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        queryset.update = mock.Mock(side_effect=DOWN)
        return queryset

    with mock.patch.object(type(order).objects, "filter", side_effect=failing_filter):
        response = client.post(reverse("orders:payment", args=[order.pk]),
                               {"kind": "deposit", "amount": "1000", "method": "wechat"})
    assert response.status_code == 503
    order.refresh_from_db()
    assert order.paid_total == Decimal("0.00")
    assert not Payment.objects.filter(order=order).exists()


def test_the_api_answers_json_503_with_the_message(client, specialist, order):
    client.force_login(specialist)
    with mock.patch("orders.apis.stage_complete", side_effect=DOWN):
        response = client.post(f"/api/orders/{order.pk}/stages/gown/complete/",
                               content_type="application/json", data={})
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "database_unavailable"
    assert "数据库暂时无法处理请求" in response.json()["detail"]


def test_other_errors_still_go_to_the_500_handling(client, specialist, order):
    client.raise_request_exception = True
    client.force_login(specialist)
    with mock.patch("orders.forms.stage_complete", side_effect=RuntimeError("bug")):
        with pytest.raises(RuntimeError):
            client.post(reverse("orders:stage_complete", args=[order.pk]), {"kind": "gown"})
