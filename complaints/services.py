"""Writes for complaints: one service per step. Each locks the complaint, checks the actor's
permission and the state against the step map (complaints.workflow), then the data the step
needs, applies the model verb, writes the event, sets the next step's deadline, and queues side
effects on commit."""
import base64
import binascii
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callbacks.models import CallbackPurpose
from callbacks.services import callback_task_create, policy_for
from customers.models import Customer, SourceChannel, Title
from customers.services import customer_find_or_create
from orders.models import Order
from staff.models import Department, DepartmentKind, Store
from studio.errors import DomainError
from studio.money import ZERO, money_parse
from studio.workflow import CREATE
from webhooks.models import WebhookEvent
from webhooks.services import webhook_emit

from .models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintPenalty,
    ComplaintPolicy,
    ComplaintSolution,
    ImprovementMeasure,
    Severity,
    SolutionKind,
)
from .workflow import COMPLAINT_STEPS

MAX_CONTENT = 2000
MAX_SIGNATURE_BYTES = 300_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(_("您没有这项操作的权限。"))


def _policy(store_id: int) -> ComplaintPolicy:
    return ComplaintPolicy.objects.filter(store_id=store_id).first() or ComplaintPolicy(
        store_id=store_id)


def _set_deadline(complaint: Complaint, at: datetime) -> None:
    """The current step's deadline; a new step starts unescalated."""
    hours = _policy(complaint.store_id).hours_for(complaint.status)
    complaint.step_due_at = at + timedelta(hours=hours) if hours else None
    complaint.escalation_level, complaint.escalated_at = 0, None


def _log(complaint: Complaint, *, action: str, before: str, by, at: datetime, note: str = ""
         ) -> None:
    ComplaintEvent.objects.create(complaint=complaint, action=action, before=before,
                                  after=complaint.status, by=by, at=at, note=note)


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def _save(complaint: Complaint) -> None:
    complaint.full_clean(exclude=["customer", "store", "signature"])
    complaint.save()


def _next_reference(store: Store, at: datetime) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    prefix = f"TS{day}"
    count = Complaint.objects.filter(reference__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


def _clean_text(value: str, field: str, *, required: bool = True, limit: int = MAX_CONTENT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("此项不能为空。")})
    if len(value) > limit:
        raise ValidationError({field: _("内容过长(最多 %(n)d 字)。") % {"n": limit}})
    return value


def _customer_for(*, store: Store, customer: Customer | None, name: str, mobile: str, by,
                  title: str = Title.MS) -> Customer:
    """The complainant: the given customer, else the store's customer with that mobile or a new
    one (customers.services.customer_find_or_create: looked after by the specialist who
    registered them, so it stays in their scope)."""
    if customer is not None:
        if customer.store_id != store.pk:
            raise ValidationError({"customer": _("投诉人不是本门店的客户。")})
        return customer
    person, _created = customer_find_or_create(store=store, mobile=mobile, name=name, by=by,
                                               title=title, source=SourceChannel.OTHER)
    return person


@transaction.atomic
def complaint_register(
    *, store: Store, by, channel: str, category: str, content: str,
    customer: Customer | None = None, name: str = "", mobile: str = "", order: Order | None = None,
    severity: str = Severity.LOW, received_at: datetime | None = None,
    source_ip: str | None = None, title: str = Title.MS, callback_record=None,
) -> Complaint:
    """Step 1 （《顾客投诉登记表》）： accepted at once （L46 有投诉即时受理）； due to be judged.
    `by` None: the customer on the public form. `callback_record`: the call it comes from
    (转投诉), the complainant's own and not turned into a complaint yet."""
    COMPLAINT_STEPS.check("register", state=CREATE, user=by)
    now = timezone.now()
    errors = {}
    if channel not in ComplaintChannel.values:
        errors["channel"] = _("未知的投诉渠道。")
    if category not in ComplaintCategory.values:
        errors["category"] = _("未知的投诉类别。")
    if severity not in Severity.values:
        errors["severity"] = _("未知的严重程度。")
    if errors:
        raise ValidationError(errors)
    content = _clean_text(content, "content")
    person = _customer_for(store=store, customer=customer, name=name, mobile=mobile, by=by,
                           title=title)
    if order is not None and order.customer_id != person.pk:
        raise ValidationError({"order": _("该订单不属于投诉人。")})
    if callback_record is not None:
        if callback_record.task.customer_id != person.pk:
            raise ValidationError({"callback_record": _("该回访记录不是投诉人的。")})
        if Complaint.objects.filter(callback_record=callback_record).exists():
            raise DomainError(_("这次回访已登记过投诉。"), code="complaint_exists")
    received_at = received_at or now
    for _attempt in range(3):  # two registrations in the same second may race for a number
        try:
            with transaction.atomic():
                complaint = Complaint.objects.create(
                    reference=_next_reference(store, received_at), store=store, customer=person,
                    order=order, received_at=received_at, channel=channel, category=category,
                    severity=severity, content=content, registered_by=by, source_ip=source_ip,
                    callback_record=callback_record)
            break
        except IntegrityError:
            continue
    else:
        raise ValidationError(_("系统繁忙，请重试。"))
    _set_deadline(complaint, received_at)
    complaint.save(update_fields=["step_due_at", "escalation_level", "escalated_at"])
    _log(complaint, action="register", before="", by=by, at=received_at, note=content[:200])
    webhook_emit(event=WebhookEvent.COMPLAINT_REGISTERED, store_id=complaint.store_id,
                 data=complaint)
    return complaint


@transaction.atomic
def complaint_judge(
    *, complaint: Complaint, by, valid: bool, reason: str, explanation: str = "",
    customer_understood: bool | None = None, department: Department | None = None,
    promised_at: datetime | None = None,
) -> Complaint:
    """Step 2: not valid → the polite explanation is recorded and it is closed; valid → a
    responsible department and the time promised to the customer for the investigation."""
    complaint = _locked(complaint)
    COMPLAINT_STEPS.check("judge", state=complaint.status, user=by)
    now = timezone.now()
    before = complaint.status
    complaint.judge(valid=valid, at=now)  # a wrong state answers before the data (409)
    complaint.judgement_reason = _clean_text(reason, "reason")
    if valid:
        if department is None or department.store_id != complaint.store_id:
            raise ValidationError({"department": _("请选择本门店的责任部门。")})
        if promised_at is None or promised_at <= now:
            raise ValidationError({"promised_at": _("请填写告诉客户的调查完成时间（晚于现在）。")})
        complaint.responsible_department = department
        complaint.investigation_promised_at = promised_at
    else:
        complaint.explanation = _clean_text(explanation, "explanation")
        complaint.customer_understood = customer_understood
    _set_deadline(complaint, now)
    _save(complaint)
    _log(complaint, action="judge", before=before, by=by, at=now, note=reason)
    if not valid:  # not valid: closed (不成立已结案)
        webhook_emit(event=WebhookEvent.COMPLAINT_CLOSED, store_id=complaint.store_id,
                     data=complaint)
    return complaint


@transaction.atomic
def complaint_investigate(*, complaint: Complaint, by, cause: str, responsible_staff=None,
                          handled_by=None) -> Complaint:
    """Step 3: the cause and the person responsible. Product quality goes to the responsible
    department; service problems to the specialist or supervisor (L60-L62)."""
    complaint = _locked(complaint)
    COMPLAINT_STEPS.check("investigate", state=complaint.status, user=by)
    now = timezone.now()
    before = complaint.status
    complaint.investigate(at=now)
    complaint.cause = _clean_text(cause, "cause")
    for field, person in (("responsible_staff", responsible_staff), ("handled_by", handled_by)):
        if person is not None and getattr(getattr(person, "staff_profile", None), "store_id",
                                          None) != complaint.store_id:
            raise ValidationError({field: _("请选择本门店的员工。")})
    complaint.responsible_staff = responsible_staff
    complaint.handled_by = handled_by or by
    _set_deadline(complaint, now)
    _save(complaint)
    _log(complaint, action="investigate", before=before, by=by, at=now, note=complaint.cause)
    return complaint


@transaction.atomic
def complaint_propose(*, complaint: Complaint, by, kind: str, description: str,
                      cost: Decimal | int | str = 0) -> ComplaintSolution:
    """Step 4a: one more solution (refund, remake, reshoot, points, gift, apology...)."""
    complaint = _locked(complaint)
    COMPLAINT_STEPS.check("propose", state=complaint.status, user=by)
    now = timezone.now()
    if kind not in SolutionKind.values:
        raise ValidationError({"kind": _("未知的方案类型。")})
    cost = money_parse(cost, field="cost", blank=ZERO)
    if cost < 0:
        raise ValidationError({"cost": _("成本不能为负数。")})
    before = complaint.status
    complaint.propose(at=now)
    if before != complaint.status:
        _set_deadline(complaint, now)
    solution = ComplaintSolution.objects.create(
        complaint=complaint, kind=kind, description=_clean_text(description, "description"),
        cost=cost, proposed_by=by)
    _save(complaint)
    _log(complaint, action="propose", before=before, by=by, at=now,
         note=f"{solution.get_kind_display()} ¥{solution.cost}:{solution.description}"[:500])
    return solution


@transaction.atomic
def complaint_approve(*, complaint: Complaint, by, solution: ComplaintSolution, comment: str
                      ) -> Complaint:
    """Step 4b: the supervisor (only) approves the best solution, with a comment (L64-L66)."""
    COMPLAINT_STEPS.check_permission("approve", user=by)
    complaint = _locked(complaint)
    now = timezone.now()
    if solution.complaint_id != complaint.pk:  # another complaint's solution: bad input first
        raise ValidationError({"solution": _("该方案不属于这条投诉。")})
    COMPLAINT_STEPS.check("approve", state=complaint.status, user=by)
    before = complaint.status
    complaint.approve(by=by, at=now)
    complaint.approval_comment = _clean_text(comment, "comment")
    ComplaintSolution.objects.filter(pk=solution.pk).update(is_approved=True)
    _set_deadline(complaint, now)
    _save(complaint)
    _log(complaint, action="approve", before=before, by=by, at=now,
         note=f"{solution.get_kind_display()}:{complaint.approval_comment}"[:500])
    return complaint


@transaction.atomic
def complaint_refuse(*, complaint: Complaint, by, feedback: str) -> Complaint:
    """Step 5, when the customer does not accept the approved solution: their words are kept,
    the approval is withdrawn and the supervisor approves another (or a new) solution."""
    complaint = _locked(complaint)
    COMPLAINT_STEPS.check("refuse", state=complaint.status, user=by)
    now = timezone.now()
    feedback = _clean_text(feedback, "feedback")
    before = complaint.status
    complaint.refuse_solution()
    refused = complaint.solutions.filter(is_approved=True).first()
    ComplaintSolution.objects.filter(complaint=complaint, is_approved=True).update(
        is_approved=False)
    complaint.customer_feedback = feedback
    _set_deadline(complaint, now)
    _save(complaint)
    label = f"{refused.get_kind_display()}：" if refused else ""
    _log(complaint, action="refuse", before=before, by=by, at=now, note=f"{label}{feedback}"[:500])
    return complaint


def decode_signature(data_url: str) -> bytes:
    """A signature drawn on screen arrives as a PNG data URL; anything else is refused."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise ValidationError({"signature": _("请客户在屏幕上签字。")})
    if len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + len(prefix) + 4:
        raise ValidationError({"signature": _("签字图片过大。")})
    try:
        raw = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({"signature": _("签字图片无法识别。")}) from exc
    if not raw.startswith(PNG_MAGIC):
        raise ValidationError({"signature": _("签字图片无法识别。")})
    return raw


@transaction.atomic
def complaint_implement(
    *, complaint: Complaint, by, accepted: bool, signature_data_url: str, feedback: str = "",
    penalties: list[dict] | None = None, notified_at: datetime | None = None,
) -> Complaint:
    """Step 5: penalties recorded against the responsible staff and department head, the
    customer notified, accepts and signs, feedback kept; a follow-up callback is created
    (L48 处理后有回访) and the complaint is closed."""
    complaint = _locked(complaint)
    COMPLAINT_STEPS.check("implement", state=complaint.status, user=by)
    now = timezone.now()
    before = complaint.status
    complaint.implement(at=now)  # a wrong state answers before the data (409)
    if not accepted:
        raise ValidationError({"accepted": _("客户接受方案并签字后才能结案；客户不接受时请重新提出方案。")})
    raw = decode_signature(signature_data_url)
    complaint.customer_notified_at = notified_at or now
    complaint.customer_accepted = True
    complaint.customer_feedback = _clean_text(feedback, "feedback", required=False)
    complaint.signed_at = now
    for item in penalties or []:
        person = item.get("staff")
        if getattr(getattr(person, "staff_profile", None), "store_id", None) != complaint.store_id:
            raise ValidationError({"penalties": _("受罚人必须是本门店的员工。")})
        amount = money_parse(item.get("amount"), field="penalties", blank=ZERO)
        if amount < 0:
            raise ValidationError({"penalties": _("罚款不能为负数。")})
        ComplaintPenalty.objects.create(
            complaint=complaint, staff=person, amount=amount, recorded_by=by,
            is_department_head=bool(item.get("is_department_head")),
            description=_clean_text(item.get("description", ""), "penalties", limit=200))
    complaint.followup_task = callback_task_create(
        customer=complaint.customer, purpose=CallbackPurpose.COMPLAINT, triggered_at=now,
        policy=policy_for(complaint.store_id))
    # Closed: no step is left, so no deadline and no escalation (as for a rejected complaint).
    complaint.step_due_at, complaint.escalation_level, complaint.escalated_at = None, 0, None
    # The customer's signature goes to storage last: a refused call must leave no file behind.
    complaint.signature.save(f"{complaint.reference}.png", ContentFile(raw), save=False)
    _save(complaint)
    _log(complaint, action="implement", before=before, by=by, at=now,
         note=complaint.customer_feedback[:500])
    webhook_emit(event=WebhookEvent.COMPLAINT_CLOSED, store_id=complaint.store_id,
                 data=complaint)
    return complaint


ESCALATE_TO_MANAGER_AFTER = timedelta(hours=24)


def complaints_escalate(*, now: datetime) -> int:
    """A step past its deadline goes to the supervisor; still late a day later, to the store
    manager. Per level: one SELECT, one UPDATE, one INSERT of history rows; safe to run twice
    (a level is only ever raised once per step)."""
    total = 0
    with transaction.atomic():
        for level, late_since, who in ((1, now, _("客服主管")),
                                       (2, now - ESCALATE_TO_MANAGER_AFTER, _("店长"))):
            # SKIP LOCKED: a sweep running at the same time leaves these complaints (and their
            # one history row each) to this one.
            ids = list(Complaint.objects.select_for_update(skip_locked=True)
                       .filter(status__in=OPEN_STATUSES, escalation_level=level - 1,
                               step_due_at__lt=late_since)
                       .values_list("pk", "status"))
            if not ids:
                continue
            Complaint.objects.filter(pk__in=[pk for pk, _status in ids]).update(
                escalation_level=level, escalated_at=now)
            ComplaintEvent.objects.bulk_create(
                ComplaintEvent(complaint_id=pk, action="escalate", before=status, after=status,
                               at=now, note=_("超过处理时限，已上报%(who)s") % {"who": who})
                for pk, status in ids)
            total += len(ids)
    return total


def improvement_save(*, store: Store, month, text: str, by) -> ImprovementMeasure:
    _require(by, "complaints.view_complaint_statistics")
    measure, _created = ImprovementMeasure.objects.update_or_create(
        store=store, month=month.replace(day=1),
        defaults={"text": _clean_text(text, "text"), "written_by": by})
    return measure


def responsible_department_for(store: Store, category: str) -> Department | None:
    """The department a complaint of this category usually goes to (a default for the form)."""
    kind = {ComplaintCategory.PRODUCT_QUALITY: DepartmentKind.SELECTION_DESIGN,
            ComplaintCategory.SERVICE_ATTITUDE: DepartmentKind.CUSTOMER_SERVICE,
            ComplaintCategory.SCHEDULE: DepartmentKind.SALES,
            ComplaintCategory.PRICE: DepartmentKind.SALES}.get(category)
    return Department.objects.filter(store=store, kind=kind).first() if kind else None
