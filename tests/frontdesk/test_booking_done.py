"""A booking follows its stage: completing the stage completes the slot."""
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.models import BookingStatus
from frontdesk.schedule import booking_cancel, booking_create
from orders.models import StageKind
from orders.services import stage_complete
from studio.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.mark.clock
def test_completing_the_shoot_completes_its_booking_which_can_no_longer_be_cancelled(
        order, front_desk, staff_of):
    photographer = staff_of("photographer").user
    stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    shoot = order.stages.get(kind=StageKind.SHOOT)
    start = (timezone.localtime() + timedelta(days=3)).replace(hour=10, minute=0, second=0,
                                                               microsecond=0)
    booking = booking_create(stage=shoot, starts_at=start, by=front_desk, photographer=photographer)
    stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk,
                   at=start + timedelta(hours=3))  # done in its slot: nothing to confirm
    booking.refresh_from_db()
    assert booking.status == BookingStatus.DONE
    with pytest.raises(DomainError):
        booking_cancel(booking=booking, by=front_desk, reason="客户改期")
