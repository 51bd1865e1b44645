"""One way a callback task is made: callbacks.services.callback_task_build (unsaved, for the
bulk creators) and callback_task_create (one task, e.g. a complaint's follow-up call)."""
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from callbacks.models import CallbackPolicy, CallbackPurpose
from callbacks.quiet_hours import is_quiet
from callbacks.services import callback_task_build, callback_task_create
from customers.models import ContactTime
from tests.factories import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = CallbackPolicy(due_days=3)
# 20:30 on a Friday: the last minute of the evening before quiet hours is 20:59.
EVENING = datetime(2026, 11, 27, 20, 30, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_a_task_is_the_customers_stores_their_specialists_and_due_outside_quiet_hours(
        store, specialist):
    customer = CustomerFactory(store=store, assigned_to=specialist,
                               preferred_contact_time=ContactTime.MORNING)
    task = callback_task_create(customer=customer, purpose=CallbackPurpose.COMPLAINT,
                                triggered_at=EVENING, policy=POLICY)
    task.refresh_from_db()
    assert (task.store_id, task.assigned_to_id, task.purpose) == (
        store.pk, specialist.pk, CallbackPurpose.COMPLAINT)
    assert not is_quiet(task.due_at, POLICY.quiet_periods)
    assert EVENING < task.due_at <= EVENING + timedelta(days=3)
    assert 9 <= task.due_at.astimezone(SHANGHAI).hour < 12  # the customer's morning window


def test_the_caller_may_name_another_owner_or_nobody():
    customer = CustomerFactory.build(store_id=1, assigned_to_id=5)
    stage_free = {"customer": customer, "purpose": CallbackPurpose.COMPLAINT,
                  "triggered_at": EVENING, "policy": POLICY}
    assert callback_task_build(**stage_free).assigned_to_id == 5
    assert callback_task_build(**stage_free, assigned_to_id=9).assigned_to_id == 9
    assert callback_task_build(**stage_free, assigned_to_id=None).assigned_to_id is None


@pytest.mark.parametrize(("purpose", "subject"), [
    (CallbackPurpose.POST_SERVICE, None),        # a service callback without its stage
    (CallbackPurpose.HOLIDAY, None),             # a campaign's callback without its campaign
    (CallbackPurpose.WALKOUT, None),             # a walk-out call without its walk-out
    (CallbackPurpose.COMPLAINT, "campaign"),     # a complaint's call pointing at a campaign
    ("tip", None),                               # no such purpose
])
def test_a_task_must_point_at_what_its_purpose_is_about(purpose, subject):
    customer = CustomerFactory.build(store_id=1)
    extra = {"campaign": object()} if subject == "campaign" else {}
    with pytest.raises(ValidationError) as excinfo:
        callback_task_build(customer=customer, purpose=purpose, triggered_at=EVENING,
                            policy=POLICY, **extra)
    assert "purpose" in excinfo.value.message_dict


def test_no_app_code_makes_a_callback_task_any_other_way():
    """CallbackTask(...) and CallbackTask.objects.create appear in callbacks/services.py only
    (the bulk creators bulk_create what callback_task_build built)."""
    root = Path(settings.BASE_DIR)
    pattern = re.compile(r"(?<!class )CallbackTask\(|CallbackTask\.objects\.create\(")
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if not {".venv", "tests", "migrations", "node_modules"} & set(path.parts)
                 and path.relative_to(root).as_posix() != "callbacks/services.py"
                 and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_a_complaints_follow_up_call_is_made_by_callbacks_service():
    source = (Path(settings.BASE_DIR) / "complaints" / "services.py").read_text(encoding="utf-8")
    assert "callback_task_create(" in source
