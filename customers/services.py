"""Writes for customers: a new customer, notes and (re)assignment to specialists, each leaving
a trace."""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import Role, StaffMember, Store, User
from staff.scoping import scope_for
from studio.audit import audit_log
from studio.errors import DomainError
from studio.models import AuditAction
from webhooks.models import WebhookEvent
from webhooks.services import webhook_emit

from .models import ContactTime, Customer, CustomerAssignment, CustomerNote, SourceChannel, Title
from .selectors import customers_visible_to
from .signals import customers_merging, customers_reassigned
from .validators import mask_mobile, validate_mobile

NAME_LIMIT = 64  # Customer.name


def _identity_errors(*, mobile: str, name: str, title: str) -> dict[str, list[str]]:
    """What is wrong with a customer's mobile, name and title (stripped already)."""
    errors: dict[str, list[str]] = {}
    try:
        validate_mobile(mobile)
    except ValidationError as exc:
        errors["mobile"] = exc.messages
    if not name:
        errors["name"] = [_("请填写客户姓名。")]
    elif len(name) > NAME_LIMIT:
        errors["name"] = [_("姓名最多 %(n)d 个字。") % {"n": NAME_LIMIT}]
    if title not in Title.values:
        errors["title"] = [_("请选择称呼。")]
    return errors


def customer_build(*, store: Store, mobile: str, name: str, by: User | None,
                   title: str = Title.MS, source: str = SourceChannel.OTHER,
                   **fields: Any) -> Customer:
    """An unsaved new customer of `store`: the rules of a new customer in one place, for
    customer_find_or_create and the import's bulk path. A valid mobile (customers.validators),
    a name of at most 64 characters, a known title (女士 when left blank); looked after by `by`
    when they are a specialist (so the customer stays in their scope), else by nobody yet."""
    mobile, name, title = (mobile or "").strip(), (name or "").strip(), title or Title.MS
    errors = _identity_errors(mobile=mobile, name=name, title=title)
    if errors:
        raise ValidationError(errors)
    profile = getattr(by, "staff_profile", None)
    owner = by if profile is not None and profile.role == Role.SPECIALIST else None
    return Customer(store=store, mobile=mobile, name=name, title=title, source=source,
                    assigned_to=owner, **fields)


def customer_find_or_create(*, store: Store, mobile: str, name: str, by: User | None,
                            title: str = Title.MS, source: str = SourceChannel.OTHER,
                            **fields: Any) -> tuple[Customer, bool]:
    """(customer, created): the store's customer with this mobile (one customer per mobile per
    store, whatever name was given), else a new one (customer_build) saved. The name and mobile
    are checked either way; two desks saving the same new mobile at once get the same customer;
    the mobile of a merged record gives the record it was merged into."""
    new = customer_build(store=store, mobile=mobile, name=name, by=by, title=title,
                         source=source, **fields)
    existing = Customer.objects.filter(store=store, mobile=new.mobile).first()
    if existing is not None:
        return customer_kept(existing), False
    try:
        with transaction.atomic():  # a savepoint: the unique (store, mobile) may be taken meanwhile
            new.save()
    except IntegrityError:
        return customer_kept(Customer.objects.get(store=store, mobile=new.mobile)), False
    webhook_emit(event=WebhookEvent.CUSTOMER_CREATED, store_id=store.pk, data=new)
    return new, True


def customer_kept(customer: Customer) -> Customer:
    """The record that stands for `customer`: itself, or the one it was merged into (a merged
    record keeps its mobile, so the store's mobile still finds the person)."""
    for _hop in range(20):  # merges point one hop on (customers_merge); a bound all the same
        if customer.merged_into_id is None:
            return customer
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def customer_add_note(*, customer: Customer, by, text: str) -> CustomerNote:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("备注内容不能为空。")})
    return CustomerNote.objects.create(customer=customer, by=by, text=text[:2000])


def _check_specialist(user, store_id: int) -> None:
    profile = getattr(user, "staff_profile", None)
    if (profile is None or profile.role != Role.SPECIALIST or not profile.is_active
            or profile.store_id != store_id):
        raise ValidationError({"to": _("只能分配给本门店在职的客服专员。")})


@transaction.atomic
def customers_assign(*, customers: Iterable[Customer], to, by, reason: str = "") -> int:
    """Give `customers` to specialist `to`; each change is recorded. Returns how many changed."""
    rows = list(Customer.objects.select_for_update().filter(pk__in=[c.pk for c in customers]))
    changed = []
    for customer in rows:
        _check_specialist(to, customer.store_id)
        if customer.assigned_to_id != to.pk:
            changed.append(CustomerAssignment(customer=customer, from_user_id=customer.assigned_to_id,
                                              to_user=to, by=by, reason=reason[:100]))
            customer.assigned_to = to
    Customer.objects.bulk_update([a.customer for a in changed], ["assigned_to"])
    if changed:
        moved = customers_reassigned_notify([a.customer.pk for a in changed])
        for assignment in changed:
            assignment.reason = assignment_reason(reason, moved.get(assignment.customer.pk))
    CustomerAssignment.objects.bulk_create(changed)
    return len(changed)


def customers_reassigned_notify(customer_ids: list[int]) -> dict[int, list[str]]:
    """Send customers_reassigned (inside the caller's transaction): the apps above move what
    follows the specialist (stages, late follow-ups, open callbacks). Returns what each receiver
    says it moved, per customer, for the assignment history."""
    moved: dict[int, list[str]] = {}
    for _receiver, answer in customers_reassigned.send(sender=Customer, customer_ids=customer_ids):
        for customer_id, what in (answer or {}).items():
            moved.setdefault(customer_id, []).append(str(what))
    return moved


def assignment_reason(reason: str, moved: list[str] | None) -> str:
    """The assignment row's reason, with what followed the customer to the new specialist:
    "主管均衡分配（随转：1 个逾期跟进、2 个待回访）"; cut to the column, the tail kept."""
    if not moved:
        return reason[:100]
    tail = _("（随转：%(what)s）") % {"what": "、".join(moved)}
    return (reason[:max(0, 100 - len(tail))] + tail)[:100]


@dataclass(frozen=True)
class SpecialistLoad:
    member: StaffMember
    customers: int
    open_followups: int = 0

    @property
    def skill(self) -> int:
        return self.member.skill_rating


def assignment_propose(*, loads: Sequence[SpecialistLoad], customer_ids: Sequence[int]
                       ) -> dict[int, list[int]]:
    """Spread `customer_ids` over the specialists: each next customer goes to the specialist
    whose load per point of skill would be lowest after taking it (seed L20: 负责客户数量均衡、
    兼顾业务能力). Equal skills give loads within one of each other; more skill, more customers.
    Returns {specialist user id: [customer ids]}."""
    if not loads:
        raise ValidationError(_("本门店没有在职的客服专员，无法分配。"))
    held = {load.member.user_id: load.customers for load in loads}
    skill = {load.member.user_id: max(load.skill, 1) for load in loads}
    proposal: dict[int, list[int]] = {user_id: [] for user_id in held}
    for customer_id in customer_ids:
        user_id = min(held, key=lambda u: ((held[u] + 1) / skill[u], held[u], u))
        proposal[user_id].append(customer_id)
        held[user_id] += 1
    return proposal



@transaction.atomic
def assignment_apply(*, pairs: dict[int, int], store_id: int, by) -> int:
    """Apply a reviewed proposal {customer id: specialist user id} in one transaction.

    Only customers of `store_id` that are still unassigned are taken: a customer assigned by
    someone else since the proposal was made keeps their specialist."""
    specialists = {u.pk: u for u in User.objects.filter(
        pk__in=set(pairs.values())).select_related("staff_profile")}
    customers = Customer.objects.select_for_update().filter(
        pk__in=list(pairs), store_id=store_id, assigned_to__isnull=True, merged_into__isnull=True)
    by_specialist: dict[int, list[Customer]] = {}
    for customer in customers:
        by_specialist.setdefault(pairs[customer.pk], []).append(customer)
    changed = 0
    for user_id, group in by_specialist.items():
        if user_id not in specialists:
            raise ValidationError({"to": _("只能分配给本门店在职的客服专员。")})
        changed += customers_assign(customers=group, to=specialists[user_id], by=by,
                                    reason=_("主管均衡分配"))
    return changed


# ---- registering, editing and merging customers (issue 16) -----------------------------------

class CustomerMobileTaken(DomainError):
    """The store already has a customer with this mobile (one record per person and store).
    `customer` is that record (the kept one, if it was merged); the page and the API say whose
    it is as far as the user's scope allows."""

    def __init__(self, customer: Customer) -> None:
        super().__init__(_("本门店已有使用该手机号的客户。"), code="mobile_taken")
        self.customer = customer


class CustomerMergeRefused(DomainError):
    """Two records that the rules do not let merge (another store, one merged already)."""

    def __init__(self, message: str, *, code: str = "merge_refused") -> None:
        super().__init__(message, code=code)


# What staff register and edit; the rest (store, specialist, VIP, merge) has its own way.
PROFILE_FIELDS = ("name", "title", "mobile", "wechat", "source", "referrer", "wedding_on",
                  "child_birthday_on", "preferred_contact_time", "notes")
WECHAT_LIMIT, NOTES_LIMIT, SHOWN_LIMIT = 64, 2000, 200


def _check_may(by, perm: str, customer: Customer | None = None, *, store: Store | None = None
               ) -> None:
    """`by` holds `perm` and has `customer` (or `store`) in scope; else PermissionDenied."""
    if by is None or not by.has_perm(perm):
        raise PermissionDenied
    visible = customers_visible_to(by, include_merged=True)
    if customer is not None and not visible.filter(pk=customer.pk).exists():
        raise PermissionDenied
    if store is not None:
        scope = scope_for(by)
        if not (scope.all_stores or scope.store_id == store.pk):
            raise PermissionDenied


def _as_date(value: Any, field: str, errors: dict[str, list[str]]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = [_("请输入有效的日期（YYYY-MM-DD）。")]
        return None


def _referrer_errors(customer: Customer, referrer: Customer | None) -> list[str]:
    """A referrer is another customer who stands (not merged away) and was not themselves
    brought in by this customer, however many introductions apart."""
    if referrer is None:
        return []
    if referrer.merged_into_id:
        return [_("介绍人的记录已合并，请选择合并后的客户。")]
    if customer.pk is not None:
        seen, current = 0, referrer
        while current is not None and seen < 50:
            if current.pk == customer.pk:
                return [_("介绍人不能是该客户本人或由该客户介绍来的客户。")]
            current, seen = current.referrer, seen + 1
    return []


def _profile(customer: Customer, values: dict[str, Any]) -> dict[str, list[str]]:
    """Put `values` (a subset of PROFILE_FIELDS) on `customer` in memory, cleaned: the errors
    by field, empty when they all stand. The one rule of a customer's profile, for registering
    and editing alike."""
    errors: dict[str, list[str]] = {}
    for name in ("name", "mobile", "wechat", "notes"):
        if name in values:
            setattr(customer, name, (values[name] or "").strip())
    for name in ("title", "source", "preferred_contact_time"):
        if name in values:
            setattr(customer, name, values[name] or "")
    for name in ("wedding_on", "child_birthday_on"):
        if name in values:
            setattr(customer, name, _as_date(values[name], name, errors))
    if "referrer" in values:
        customer.referrer = values["referrer"]
        if _referrer_errors(customer, customer.referrer):
            errors["referrer"] = _referrer_errors(customer, customer.referrer)
    identity = _identity_errors(mobile=customer.mobile, name=customer.name, title=customer.title)
    errors.update({k: v for k, v in identity.items() if k in values})
    if "wechat" in values and len(customer.wechat) > WECHAT_LIMIT:
        errors["wechat"] = [_("微信号最多 %(n)d 个字符。") % {"n": WECHAT_LIMIT}]
    if "notes" in values and len(customer.notes) > NOTES_LIMIT:
        errors["notes"] = [_("备注最多 %(n)d 个字。") % {"n": NOTES_LIMIT}]
    if "source" in values and customer.source not in SourceChannel.values:
        errors["source"] = [_("请选择客户来源。")]
    if "preferred_contact_time" in values and customer.preferred_contact_time not in ContactTime.values:
        errors["preferred_contact_time"] = [_("请选择方便联系的时间。")]
    return errors


def _shown(customer: Customer, name: str) -> str:
    """A field's value as the history shows it: choices by their label, dates as YYYY-MM-DD,
    the referrer by name, the mobile masked (the audit log is no store of full mobiles)."""
    value = getattr(customer, name)
    if name == "mobile":
        return mask_mobile(value or "")
    if name in ("title", "source", "preferred_contact_time"):
        return str(getattr(customer, f"get_{name}_display")()) if value else ""
    if name == "referrer":
        return value.name if value is not None else ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value or "")
    return text if len(text) <= SHOWN_LIMIT else f"{text[:SHOWN_LIMIT - 1]}…"


def _store_loads(store_id: int) -> list[SpecialistLoad]:
    """The store's active specialists with the customers each holds (merged records aside)."""
    held = (Customer.objects.filter(assigned_to=OuterRef("user_id"), merged_into__isnull=True)
            .order_by().values("assigned_to").annotate(n=Count("*")).values("n"))
    members = (StaffMember.objects.active().filter(store_id=store_id, role=Role.SPECIALIST)
               .select_related("user").annotate(held=Coalesce(Subquery(held), 0)))
    return [SpecialistLoad(member=member, customers=member.held) for member in members]


def _auto_assign(customer: Customer, *, by) -> None:
    """A new customer of a store that assigns them itself goes to the specialist the balanced
    rule (assignment_propose) picks; a store without specialists leaves them to the supervisor."""
    loads = _store_loads(customer.store_id)
    if not loads:
        return
    proposal = assignment_propose(loads=loads, customer_ids=[customer.pk])
    user_id = next(uid for uid, picked in proposal.items() if picked)
    to = next(load.member.user for load in loads if load.member.user_id == user_id)
    customers_assign(customers=[customer], to=to, by=by, reason=_("新客户自动分配"))
    customer.assigned_to = to


@transaction.atomic
def customer_register(
    *, store: Store, by, name: str, mobile: str, title: str = Title.MS, wechat: str = "",
    source: str = SourceChannel.WALK_IN, referrer: Customer | None = None,
    wedding_on: date | None = None, child_birthday_on: date | None = None,
    preferred_contact_time: str = ContactTime.ANY, notes: str = "",
    request_key: str | None = None, ip_address: str | None = None,
) -> Customer:
    """登记客户: a new customer of `store` (customers.add_customer, the store in `by`'s scope).
    A mobile the store already has is refused (CustomerMobileTaken, carrying that customer).
    A specialist keeps whom they register; otherwise a store with auto_assign_customers gives
    the customer to a specialist by the balanced rule, else the supervisor assigns them later.
    With a `request_key` (the form's one-time key, the API's Idempotency-Key) the same request
    sent twice registers one customer. Audited (CREATE_CUSTOMER)."""
    _check_may(by, "customers.add_customer", store=store)
    request_key = (request_key or "").strip() or None
    if request_key:
        earlier = Customer.objects.filter(request_key=request_key).first()
        if earlier is not None:
            if earlier.store_id != store.pk or earlier.mobile != (mobile or "").strip():
                raise ValidationError({"request_key": _("该请求编号已用于登记另一位客户。")})
            return earlier
    new = Customer(store=store, title=title or Title.MS)
    errors = _profile(new, {
        "name": name, "title": title or Title.MS, "mobile": mobile, "wechat": wechat,
        "source": source or SourceChannel.WALK_IN, "referrer": referrer, "wedding_on": wedding_on,
        "child_birthday_on": child_birthday_on,
        "preferred_contact_time": preferred_contact_time or ContactTime.ANY, "notes": notes})
    if errors:
        raise ValidationError(errors)
    new = customer_build(
        store=store, mobile=new.mobile, name=new.name, by=by, title=new.title, source=new.source,
        wechat=new.wechat, referrer=new.referrer, wedding_on=new.wedding_on,
        child_birthday_on=new.child_birthday_on, notes=new.notes,
        preferred_contact_time=new.preferred_contact_time, request_key=request_key)
    existing = Customer.objects.filter(store=store, mobile=new.mobile).first()
    if existing is not None:
        raise CustomerMobileTaken(customer_kept(existing))
    try:
        with transaction.atomic():  # the mobile or the key may be taken a moment ago
            new.save()
    except IntegrityError:
        earlier = Customer.objects.filter(request_key=request_key).first() if request_key else None
        if earlier is not None:
            return earlier
        existing = Customer.objects.filter(store=store, mobile=new.mobile).first()
        if existing is None:
            raise
        raise CustomerMobileTaken(customer_kept(existing)) from None
    if new.assigned_to_id is None and store.auto_assign_customers:
        _auto_assign(new, by=by)
    audit_log(actor=by, action=AuditAction.CREATE_CUSTOMER, obj=new, ip_address=ip_address,
              detail={"store": store.pk, "assigned_to": new.assigned_to_id})
    webhook_emit(event=WebhookEvent.CUSTOMER_CREATED, store_id=store.pk, data=new)
    return new


@transaction.atomic
def customer_update(*, customer: Customer, by, ip_address: str | None = None,
                    **fields: Any) -> Customer:
    """Change a customer's profile (PROFILE_FIELDS; customers.change_customer, the customer in
    `by`'s scope). The mobile stays one per store. One audit row (CHANGE_CUSTOMER) holds what
    changed, {"changes": {field: [before, after]}} as shown (the mobile masked); nothing changed,
    nothing written. A merged record is refused: its successor is the one to edit."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"customer_update: not a profile field: {sorted(unknown)}")
    customer = Customer.objects.select_for_update(of=("self",)).select_related("referrer").get(pk=customer.pk)
    _check_may(by, "customers.change_customer", customer)
    if customer.merged_into_id:
        raise CustomerMergeRefused(_("该客户记录已合并，请修改合并后的客户记录。"), code="merged")
    before = {name: _shown(customer, name) for name in fields}
    errors = _profile(customer, fields)
    if "mobile" in fields and "mobile" not in errors and Customer.objects.filter(
            store_id=customer.store_id, mobile=customer.mobile).exclude(pk=customer.pk).exists():
        errors["mobile"] = [_("本门店已有使用该手机号的客户。")]
    if errors:
        raise ValidationError(errors)
    changes = {name: [before[name], _shown(customer, name)] for name in fields}
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    if not changes:
        return customer
    try:
        with transaction.atomic():
            customer.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:  # the mobile taken by another desk a moment ago
        raise ValidationError({"mobile": [_("本门店已有使用该手机号的客户。")]}) from None
    audit_log(actor=by, action=AuditAction.CHANGE_CUSTOMER, obj=customer, ip_address=ip_address,
              detail={"changes": changes})
    return customer


def _move_relations(kept: Customer, merged: Customer) -> dict[str, int]:
    """Every row that points at `merged` through a foreign key now points at `kept`: one UPDATE
    per relation, read from the model's relations so that a new one is never forgotten. A
    one-to-one is a receiver's to move (customers_merging): one left raises. {model.field: n}."""
    moved: dict[str, int] = {}
    for relation in Customer._meta.related_objects:
        model, field = relation.related_model, relation.field
        if model is Customer and field.name == "merged_into":
            continue  # earlier merges, pointed at the kept record by customers_merge
        rows = model._base_manager.filter(**{field.name: merged})
        if model is Customer and field.name == "referrer":
            rows = rows.exclude(pk=kept.pk)  # the kept record naming the merged one: see below
        if relation.one_to_one or relation.many_to_many:
            if rows.exists():
                raise ImproperlyConfigured(
                    f"{model._meta.label}.{field.name} still points at the merged customer: a "
                    "one-to-one (or many-to-many) needs a customers_merging receiver to move it")
            continue
        try:
            with transaction.atomic():
                count = rows.update(**{field.name: kept})
        except IntegrityError:  # e.g. both in one campaign: one call each per campaign
            raise CustomerMergeRefused(_("两条记录的“%(what)s”有重复，不能自动合并。") % {
                "what": model._meta.verbose_name_plural}, code="merge_conflict") from None
        if count:
            moved[f"{model._meta.label_lower}.{field.name}"] = count
    return moved


def _fill_profile(kept: Customer, merged: Customer, *, by) -> list[str]:
    """The kept record's blanks filled from the merged one (WeChat, dates, referrer, the
    specialist), its notes followed by the merged one's. Returns the fields changed."""
    changed = [name for name in ("wechat", "wedding_on", "child_birthday_on")
               if not getattr(kept, name) and getattr(merged, name)]
    for name in changed:
        setattr(kept, name, getattr(merged, name))
    if kept.referrer_id == merged.pk:  # "referred by" the other half of the same person
        kept.referrer_id = None
        changed.append("referrer")
    if kept.referrer_id is None and merged.referrer_id not in (None, kept.pk):
        kept.referrer_id = merged.referrer_id
        changed.append("referrer")
    if merged.notes.strip():
        line = _("（合并自 %(name)s）%(notes)s") % {"name": merged.name, "notes": merged.notes.strip()}
        kept.notes = "\n".join(part for part in (kept.notes.strip(), line) if part)
        changed.append("notes")
    if kept.assigned_to_id is None and merged.assigned_to_id is not None:
        kept.assigned_to_id = merged.assigned_to_id
        CustomerAssignment.objects.create(customer=kept, from_user=None,
                                          to_user_id=merged.assigned_to_id, by=by,
                                          reason=_("合并客户"))
        changed.append("assigned_to")
    changed = list(dict.fromkeys(changed))
    if changed:
        kept.save(update_fields=[*changed, "updated_at"])
    return changed


@transaction.atomic
def customers_merge(*, kept: Customer, merged: Customer, by,
                    ip_address: str | None = None) -> Customer:
    """Merge two records of one person of the same store (customers.merge_customer): in one
    transaction, the apps above move what they own specially (customers_merging), every other
    row pointing at `merged` moves to `kept`, the kept record's blanks are filled, denormalised
    copies of the specialist follow (customers_reassigned), and `merged` is marked merged into
    `kept` (it answers with a link from then on). Both records get a MERGE_CUSTOMER audit row."""
    if by is None or not by.has_perm("customers.merge_customer"):
        raise PermissionDenied
    if kept.pk == merged.pk:
        raise ValidationError({"merged": _("不能把客户与其本人合并，请选择另一条记录。")})
    rows = {c.pk: c for c in Customer.objects.select_for_update(of=("self",)).select_related("referrer")
            .filter(pk__in=[kept.pk, merged.pk]).order_by("pk")}
    kept, merged = rows[kept.pk], rows[merged.pk]
    _check_may(by, "customers.merge_customer", kept)
    _check_may(by, "customers.merge_customer", merged)
    if kept.store_id != merged.store_id:
        raise CustomerMergeRefused(_("只能合并同一门店的客户记录。"), code="other_store")
    for record in (kept, merged):
        if record.merged_into_id:
            raise CustomerMergeRefused(_("%(name)s 的记录已合并到其他记录，不能再合并。") % {
                "name": record.name}, code="already_merged")
    customers_merging.send(sender=Customer, kept=kept, merged=merged)
    moved = _move_relations(kept, merged)
    filled = _fill_profile(kept, merged, by=by)
    customers_reassigned.send(sender=Customer, customer_ids=[kept.pk])
    Customer.objects.filter(merged_into=merged).update(merged_into=kept)  # one hop to the kept
    merged.merged_into, merged.merged_at = kept, timezone.now()
    merged.save(update_fields=["merged_into", "merged_at", "updated_at"])
    audit_log(actor=by, action=AuditAction.MERGE_CUSTOMER, obj=kept, ip_address=ip_address,
              detail={"merged": merged.pk, "merged_name": merged.name, "moved": moved,
                      "filled": filled})
    audit_log(actor=by, action=AuditAction.MERGE_CUSTOMER, obj=merged, ip_address=ip_address,
              detail={"kept": kept.pk, "kept_name": kept.name})
    kept.refresh_from_db()
    return kept
