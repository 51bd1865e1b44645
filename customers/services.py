"""Writes for customers: a new customer, notes and (re)assignment to specialists, each leaving
a trace."""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from staff.models import Role, StaffMember, Store, User

from .models import Customer, CustomerAssignment, CustomerNote, SourceChannel, Title
from .signals import customers_reassigned
from .validators import validate_mobile

NAME_LIMIT = 64  # Customer.name


def customer_build(*, store: Store, mobile: str, name: str, by: User | None,
                   title: str = Title.MS, source: str = SourceChannel.OTHER,
                   **fields: Any) -> Customer:
    """An unsaved new customer of `store`: the rules of a new customer in one place, for
    customer_find_or_create and the import's bulk path. A valid mobile (customers.validators),
    a name of at most 64 characters, a known title (女士 when left blank); looked after by `by`
    when they are a specialist (so the customer stays in their scope), else by nobody yet."""
    mobile, name, title = (mobile or "").strip(), (name or "").strip(), title or Title.MS
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
    are checked either way; two desks saving the same new mobile at once get the same customer."""
    new = customer_build(store=store, mobile=mobile, name=name, by=by, title=title,
                         source=source, **fields)
    existing = Customer.objects.filter(store=store, mobile=new.mobile).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # a savepoint: the unique (store, mobile) may be taken meanwhile
            new.save()
    except IntegrityError:
        return Customer.objects.get(store=store, mobile=new.mobile), False
    return new, True


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
    CustomerAssignment.objects.bulk_create(changed)
    if changed:
        customers_reassigned.send(sender=Customer, customer_ids=[a.customer.pk for a in changed])
    return len(changed)


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
        pk__in=list(pairs), store_id=store_id, assigned_to__isnull=True)
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
