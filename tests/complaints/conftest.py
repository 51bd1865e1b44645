import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.services import (
    complaint_approve,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
)
from staff.models import Department, DepartmentKind

from .factories import ComplaintFactory

SIGNATURE = "data:image/png;base64," + base64.b64encode(
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()


@pytest.fixture
def cs_department(store):
    return Department.objects.get_or_create(store=store, kind=DepartmentKind.CUSTOMER_SERVICE,
                                            defaults={"name": "客服部"})[0]


@pytest.fixture
def registered(customer, specialist, store):
    return ComplaintFactory(store=store, by=specialist, customer=customer, channel="phone",
                            category="product_quality", content="相册有划痕")


@pytest.fixture
def judged(registered, specialist, cs_department):
    return complaint_judge(complaint=registered, by=specialist, valid=True, reason="确有划痕",
                           department=cs_department,
                           promised_at=timezone.now() + timedelta(days=2))


@pytest.fixture
def investigated(judged, specialist, staff_of):
    designer = staff_of("designer").user
    return complaint_investigate(complaint=judged, by=specialist, cause="装裱时划伤",
                                 responsible_staff=designer)


@pytest.fixture
def proposed(investigated, specialist):
    first = complaint_propose(complaint=investigated, by=specialist, kind="remake",
                              description="免费重做相册", cost=300)
    complaint_propose(complaint=investigated, by=specialist, kind="points",
                      description="赠送 500 积分", cost=50)
    return first.complaint


@pytest.fixture
def approved(proposed, supervisor):
    solution = proposed.solutions.get(kind="remake")
    return complaint_approve(complaint=proposed, by=supervisor, solution=solution,
                             comment="重做最能挽回客户")
