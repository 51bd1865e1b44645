"""Reads of customers, always starting from what the user may see."""
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Reverse
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext as _

from staff.scoping import scope_for
from studio.models import AuditAction, AuditEntry

from .models import Customer
from .validators import MOBILE_RE, mask_name


def customer_mobiles_taken(store, mobiles: Iterable[str]) -> set[str]:
    """Which of `mobiles` are already customers of `store` (one customer per mobile per store:
    customers.services.customer_find_or_create answers with that customer, the import refuses
    the row). One query per ~1,000 mobiles on SQLite (its limit on query parameters), one in
    all on PostgreSQL."""
    mobiles, found = list(mobiles), set()
    step = (connection.features.max_query_params or 65535) - 1
    for i in range(0, len(mobiles), step):
        found |= set(Customer.objects.filter(store=store, mobile__in=mobiles[i:i + step])
                     .values_list("mobile", flat=True))
    return found


def customers_visible_to(user, *, include_merged: bool = False) -> QuerySet[Customer]:
    """The customers `user` may see: own store, own assignments, or all stores (see scoping).
    A record merged into another (customers.services.customers_merge) is left out of every list
    and search; the customer's file asks for it too (`include_merged`), to point at the other."""
    customers = Customer.objects.all() if include_merged else Customer.objects.filter(
        merged_into__isnull=True)
    return scope_for(user).apply(customers, store_field="store_id", owner_field="assigned_to_id")


def customer_search_q(value: str, *, prefix: str = "") -> Q | None:
    """The one search rule: an 11-digit mobile matches exactly, 4+ digits match the mobile's
    end (the last four digits, as staff ask for them), anything else part of the name. `prefix`
    is the path to the customer ("order__customer__"). None: the text cannot match anyone
    (fewer than 4 digits).

    Each form has an index at chain size (customers migration 0004, PostgreSQL): the mobile's
    b-tree, a prefix index on the reversed mobile for its end, a trigram index on the name."""
    value = (value or "").strip()
    if MOBILE_RE.match(value):
        return Q(**{f"{prefix}mobile": value})
    if value.isdigit():
        if len(value) < 4:
            return None
        return Q(StartsWith(Reverse(f"{prefix}mobile"), value[::-1]))
    return Q(**{f"{prefix}name__contains": value})


def customers_search(queryset: QuerySet, value: str, *, prefix: str = "") -> QuerySet:
    if not (value or "").strip():
        return queryset
    query = customer_search_q(value, prefix=prefix)
    return queryset.none() if query is None else queryset.filter(query)


# ---- registering, editing and merging (issue 16) ----------------------------------------------

@dataclass(frozen=True)
class ShownCustomer:
    """Another customer as `user` may see them: the full name and a link (pk) in their scope,
    else the store and the family name only (张**), no link."""

    store_name: str
    name: str
    pk: int | None = None


def customer_as_shown(user, customer: Customer, *, full_needs_mobile_perm: bool = False
                      ) -> ShownCustomer:
    """`customer` named for `user`: in scope (and, with `full_needs_mobile_perm`, for someone who
    may see full mobiles), by name with a link; otherwise masked."""
    visible = customers_visible_to(user).filter(pk=customer.pk).exists()
    if visible and (not full_needs_mobile_perm or user.has_perm("customers.view_full_mobile")):
        return ShownCustomer(customer.store.name, customer.name, customer.pk)
    return ShownCustomer(customer.store.name, mask_name(customer.name))


def customers_with_mobile_elsewhere(user, *, store_id: int, mobile: str) -> list[ShownCustomer]:
    """The chain's other stores' customers with this mobile (the same person, registered
    elsewhere): named in full with a link only to someone who sees them and full mobiles."""
    others = (Customer.objects.filter(mobile=mobile, merged_into__isnull=True)
              .exclude(store_id=store_id).select_related("store").order_by("store__code"))
    return [customer_as_shown(user, other, full_needs_mobile_perm=True) for other in others]


def customer_referrer_candidates(user, value: str, *, limit: int = 10) -> QuerySet[Customer]:
    """Who `value` (a mobile, its last digits or part of a name) may name as a referrer: the
    customers `user` sees, by the one search rule."""
    if not (value or "").strip():
        return Customer.objects.none()
    return (customers_search(customers_visible_to(user), value).select_related("store")
            .order_by("-created_at", "-pk")[:limit])


def customers_merge_candidates(user, kept: Customer, value: str, *, limit: int = 20
                               ) -> QuerySet[Customer]:
    """The records `kept` may be merged with: the same store's, in `user`'s scope, found by the
    one search rule (nothing before something is typed)."""
    if not (value or "").strip():
        return Customer.objects.none()
    return (customers_search(customers_visible_to(user).filter(store_id=kept.store_id)
                             .exclude(pk=kept.pk), value)
            .select_related("assigned_to", "store").order_by("-created_at", "-pk")[:limit])


def _merge_relations():
    """(key, model, field name) of every foreign key to Customer that a merge moves."""
    for relation in Customer._meta.related_objects:
        model, name = relation.related_model, relation.field.name
        if model is Customer and name == "merged_into":
            continue
        yield f"{model._meta.label_lower}.{name}", model, name


def _relation_label(key: str) -> str:
    if key == "customers.customer.referrer":
        return _("介绍来的客户")
    try:
        return str(apps.get_model(key.rsplit(".", 1)[0])._meta.verbose_name_plural)
    except LookupError:
        return key


def customer_merge_counts(customer: Customer) -> list[tuple[str, int]]:
    """What merging `customer` away would move, by kind (orders, callbacks, notes, ...): one
    query, a counting subquery per relation; kinds with nothing left out."""
    annotations, labels = {}, {}
    for index, (key, model, name) in enumerate(_merge_relations()):
        rows = (model._base_manager.filter(**{name: OuterRef("pk")}).order_by().values(name)
                .annotate(n=Count("*")).values("n"))
        annotations[f"n{index}"] = Coalesce(Subquery(rows), 0)
        labels[f"n{index}"] = _relation_label(key)
    counts = Customer.objects.filter(pk=customer.pk).annotate(**annotations).values(
        *annotations).get()
    return [(labels[alias], n) for alias, n in counts.items() if n]


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: object
    action: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)
    note: str = ""


def customer_history(customer: Customer, *, limit: int = 50) -> list[HistoryRow]:
    """资料修改记录: registering, each change (field: before → after) and merges of the record,
    newest first, from the audit log in one query."""
    entries = (AuditEntry.objects.filter(
        object_type=Customer._meta.label_lower, object_id=str(customer.pk),
        action__in=[AuditAction.CREATE_CUSTOMER, AuditAction.CHANGE_CUSTOMER,
                    AuditAction.MERGE_CUSTOMER])
        .select_related("actor").order_by("-at", "-pk")[:limit])
    rows = []
    for entry in entries:
        detail, changes, note = entry.detail or {}, [], ""
        if entry.action == AuditAction.CHANGE_CUSTOMER:
            # In the form's order, whatever order the database kept the keys in (PostgreSQL's
            # jsonb sorts them).
            order = {f.name: i for i, f in enumerate(Customer._meta.fields)}
            for name, pair in sorted((detail.get("changes") or {}).items(),
                                     key=lambda item: order.get(item[0], len(order))):
                try:
                    label = str(Customer._meta.get_field(name).verbose_name)
                except FieldDoesNotExist:  # a field since removed: its name then
                    label = name
                before, after = [*pair, "", ""][:2]
                changes.append((label, before or "-", after or "-"))
        elif entry.action == AuditAction.MERGE_CUSTOMER and "merged" in detail:
            moved = "、".join(f"{_relation_label(key)} {n}"
                             for key, n in (detail.get("moved") or {}).items())
            note = _("并入 %(name)s（#%(pk)s）的记录") % {"name": detail.get("merged_name", ""),
                                                    "pk": detail["merged"]}
            if moved:
                note += _("：%(moved)s") % {"moved": moved}
        elif entry.action == AuditAction.MERGE_CUSTOMER and "kept" in detail:
            note = _("合并到 %(name)s（#%(pk)s）") % {"name": detail.get("kept_name", ""),
                                                 "pk": detail["kept"]}
        rows.append(HistoryRow(at=entry.at, actor=entry.actor, action=entry.get_action_display(),
                               changes=changes, note=note))
    return rows
