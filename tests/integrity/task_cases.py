"""For every Celery task of the project, a setup that gives it work. A new task without a case
here fails tests/integrity/test_tasks.py::test_every_project_task_has_a_case."""
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import F
from django.utils import timezone

from callbacks.models import CallbackTask
from callbacks.services import callbacks_create_for_stage
from complaints.models import Complaint
from complaints.services import complaint_register
from customers.models import Customer
from frontdesk.production import walkout_record
from frontdesk.schedule import booking_create
from imports.services import _job_name, _store, import_job_confirm, import_job_preview
from membership.models import MemberAccount, MemberCard, PointsEntry
from orders.models import OrderStage, StageKind
from orders.services import payment_record, stage_complete, stage_schedule
from studio.models import ExportJob, ImportJob, SmsMessage, SmsStatus
from studio.sms import sms_queue

from .conftest import lost_messages, new_member, new_order

_slot = itertools.count()


@dataclass(frozen=True)
class Case:
    setup: Callable  # (world) -> args of the task
    writes: bool = True  # False: the task only logs or answers (nothing to compare)


def _local(days: int, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days),
                                                time(hour, 0)))


def _mobile() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


def _queued_sms(world) -> SmsMessage:
    with lost_messages():
        return sms_queue(mobile=_mobile(), body="【人民路店】测试短信", purpose="test",
                         store_id=world.store.pk)


def _sms_to_send(world):
    return (_queued_sms(world).pk,)


def _sms_lost(world):
    message = _queued_sms(world)
    SmsMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    return ()


class PollingSender:
    """A gateway whose status API says every message it is asked about was delivered."""

    name, label, needs_template = "polling", "a gateway with a status API", False

    def send(self, message) -> str:
        return f"poll-{message.pk}"

    def poll(self, messages) -> list:
        from studio.sms import Receipt

        return [Receipt(message.provider_id, True) for message in messages]


def _sms_awaiting_receipt(world):
    """A message sent 20 minutes ago through a gateway whose report has not come: the poll asks."""
    world.settings.SMS_SENDER = "tests.integrity.task_cases.PollingSender"
    message = _queued_sms(world)
    SmsMessage.objects.filter(pk=message.pk).update(
        status=SmsStatus.SENT, gateway="polling", provider_id=f"poll-{message.pk}", attempts=1,
        sent_at=timezone.now() - timedelta(minutes=20))
    return ()


def _webhook_queued(world) -> int:
    """A delivery to an address nothing listens on (refused at once): the first run records the
    attempt and its backoff, a second finds it not due."""
    from webhooks.models import WebhookEndpoint
    from webhooks.services import webhook_emit

    WebhookEndpoint.objects.get_or_create(store=world.store, url="http://127.0.0.1:9/hook",
                                          defaults={"events": ["customer.created"]})
    with lost_messages():
        (delivery_id,) = webhook_emit(event="customer.created", store_id=world.store.pk,
                                      data={"id": 1})
    return delivery_id


def _webhook_lost(world):
    _webhook_queued(world)
    return ()


def _export_job(world) -> ExportJob:
    return ExportJob.objects.create(user=world.supervisor, exporter="customers", params={},
                                    title="客户", filename="客户.xlsx", total_rows=1)


def _export_to_run(world):
    return (_export_job(world).pk,)


def _export_lost(world):
    job = _export_job(world)
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    return ()


def _import_upload(world) -> ImportJob:
    """An uploaded customer sheet waiting for the worker (imports.services), its file on disk."""
    from io import BytesIO

    from openpyxl import Workbook

    sheet = Workbook()
    sheet.active.append(["姓名", "手机号"])
    sheet.active.append(["王芳", _mobile()])
    data = BytesIO()
    sheet.save(data)
    job = ImportJob.objects.create(user=world.front_desk, store=world.store, filename="客户.xlsx")
    _store(_job_name(job, ".xlsx"), data.getvalue())
    return job


def _import_to_preview(world):
    return (_import_upload(world).pk,)


def _import_to_apply(world):
    job = import_job_preview(_import_upload(world).pk)
    with lost_messages():
        assert import_job_confirm(job=job, digest=job.summary["digest"])
    return (job.pk,)


def _import_lost(world):
    job = _import_upload(world)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    return ()


def _specialist_drifted(world):
    """Stages whose copy of their customer's specialist is stale: the customer was given a
    specialist by a bulk write that bypassed the reassignment services."""
    order = new_order(world, assigned_to=None)
    Customer.objects.filter(pk=order.customer_id).update(assigned_to=world.specialist)
    return ()


def _late_stage(world):
    order = new_order(world)
    with lost_messages():
        stage_schedule(order=order, kind=StageKind.GOWN, at=timezone.now() + timedelta(hours=1),
                       by=world.front_desk)
    past = timezone.now() - timedelta(hours=2)
    OrderStage.objects.filter(order=order, kind=StageKind.GOWN).update(scheduled_at=past)
    return ()


def _points_expired(world):
    account = new_member(world, points=300)
    PointsEntry.objects.filter(account=account).update(
        expires_at=timezone.now() - timedelta(days=1))
    return ()


def _card_expired(world):
    account = new_member(world)
    MemberCard.objects.filter(account=account).update(
        expires_on=timezone.localdate() - timedelta(days=1))
    return ()


def _member_payment_missed(world):
    account = new_member(world)
    order = new_order(world)
    order.customer = account.customer
    order.save(update_fields=["customer"])
    with lost_messages():
        payment_record(order=order, kind="deposit", amount=1000, received_by=world.front_desk)
    return ()


def _corrupted_balance(world):
    account = new_member(world, points=100)
    MemberAccount.objects.filter(pk=account.pk).update(points_balance=F("points_balance") + 7)
    return ()


def _completed_stage(world) -> OrderStage:
    order = new_order(world)
    with lost_messages():
        return stage_complete(order=order, kind=StageKind.GOWN, by=world.front_desk)


def _stage_without_callback(world):
    return (_completed_stage(world).pk,)


def _stage_missed(world):
    _completed_stage(world)
    return ()


def _callback_overdue(world):
    stage = _completed_stage(world)
    callbacks_create_for_stage(stage_id=stage.pk)
    CallbackTask.objects.filter(stage=stage).update(due_at=timezone.now() - timedelta(hours=1))
    return ()


def _callback_owner_drifted(world):
    """An open callback left with no one after its customer was given a specialist by a bulk
    write that bypassed the reassignment services."""
    stage = _completed_stage(world)
    callbacks_create_for_stage(stage_id=stage.pk)
    CallbackTask.objects.filter(stage=stage).update(assigned_to=None)
    return ()


def _walkout_missed(world):
    with lost_messages():
        walkout_record(store=world.store, by=world.front_desk, name="李四", mobile=_mobile(),
                       reason="price", visited_at=timezone.now() - timedelta(hours=2))
    return ()


def _booked(world, days: int):
    order = new_order(world)
    with lost_messages():
        booking_create(stage=order.stages.get(kind=StageKind.SHOOT),
                       starts_at=_local(days, 9 + next(_slot) % 9), by=world.front_desk,
                       now=timezone.now() - timedelta(days=10))
    return ()


def _complaint_late(world):
    order = new_order(world)
    with lost_messages():
        complaint = complaint_register(store=world.store, by=world.specialist,
                                       customer=order.customer, channel="phone",
                                       category="product_quality", content="相册有划痕")
    Complaint.objects.filter(pk=complaint.pk).update(
        step_due_at=timezone.now() - timedelta(days=2))
    return ()


CASES: dict[str, Case] = {
    "studio.tasks.heartbeat_task": Case(lambda world: ()),  # studio.Heartbeat's two rows
    "studio.tasks.ping_task": Case(lambda world: ("影楼",), writes=False),
    "studio.tasks.send_sms_task": Case(_sms_to_send),
    "studio.tasks.resend_queued_sms_task": Case(_sms_lost),
    "studio.tasks.poll_sms_receipts_task": Case(_sms_awaiting_receipt),
    "webhooks.tasks.deliver_webhook_task": Case(lambda world: (_webhook_queued(world),)),
    "webhooks.tasks.sweep_webhooks_task": Case(_webhook_lost),
    "studio.tasks.run_export_task": Case(_export_to_run),
    "studio.tasks.sweep_export_jobs_task": Case(_export_lost),
    # Files only (under BACKUP_DIR, a tmp folder in tests): no row changes, run once or twice.
    "studio.tasks.backup_task": Case(lambda world: (), writes=False),
    "orders.tasks.find_late_stages_task": Case(_late_stage),
    "orders.tasks.repair_stage_specialists_task": Case(_specialist_drifted),
    "imports.tasks.import_preview_task": Case(_import_to_preview),
    "imports.tasks.import_apply_task": Case(_import_to_apply),
    "imports.tasks.sweep_import_jobs_task": Case(_import_lost),
    "membership.tasks.expire_points_task": Case(_points_expired),
    "membership.tasks.expire_member_cards_task": Case(_card_expired),
    "membership.tasks.sweep_member_payments_task": Case(_member_payment_missed),
    "membership.tasks.reconcile_ledgers_task": Case(_corrupted_balance),
    "callbacks.tasks.create_callback_for_stage_task": Case(_stage_without_callback),
    "callbacks.tasks.sweep_completed_stages_task": Case(_stage_missed),
    "callbacks.tasks.mark_overdue_callbacks_task": Case(_callback_overdue),
    "callbacks.tasks.repair_callback_owners_task": Case(_callback_owner_drifted),
    "callbacks.tasks.sweep_walkouts_task": Case(_walkout_missed),
    "callbacks.tasks.queue_reminders_task": Case(lambda world: _booked(world, 1)),
    "callbacks.tasks.queue_greetings_task": Case(lambda world: _booked(world, 5)),
    "complaints.tasks.escalate_late_complaints_task": Case(_complaint_late),
}
