"""Writes and reads of the price list (套系) and of a store's sales rules (门店销售设置).

A store manager keeps their store's packages and rules; the general manager every store's and
the chain's packages (no store: sold everywhere). A package is never deleted: it stops being
sold (停售) and stays on its old orders. Each change is in the audit log (CHANGE_PACKAGE) with
what changed, {"changes": {field: [before, after]}}; a store's rules with {"store_settings": …}.
"""
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from staff.models import Store
from staff.scoping import scope_for
from studio.audit import audit_log
from studio.models import AuditAction

from .models import Order, Package

PACKAGE_FIELDS = ["store", "name", "kind", "price", "photos_count", "album_photos",
                  "extra_photo_price", "album", "outfits", "scenes", "includes_gown_selection",
                  "description", "is_active"]
STORE_SETTINGS_FIELDS = ["discount_limit", "auto_assign_customers", "document_terms"]


def package_may_change(user, package: Package | None, *, store: Store | None = None) -> bool:
    """Whether `user` may add (package None: a package of `store`) or change `package`: a store
    manager their own store's, the general manager any store's and the chain's (no store)."""
    if not user.has_perm("orders.change_package" if package is not None else "orders.add_package"):
        return False
    store_id = package.store_id if package is not None else (store.pk if store else None)
    scope = scope_for(user)
    if scope.nothing or scope.owner_id is not None:
        return False
    return scope.all_stores or (store_id is not None and store_id == scope.store_id)


def _plain(value: Any) -> Any:
    """A field's value as the audit log's JSON keeps it."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, models.Model):
        return value.pk
    return value


def _name_taken(package: Package) -> bool:
    same = Package.objects.filter(name=package.name).exclude(pk=package.pk)
    return same.filter(store_id=package.store_id).exists() if package.store_id else same.filter(
        store__isnull=True).exists()


@transaction.atomic
def package_save(*, package: Package | None, by, **fields: Any) -> Package:
    """Add a package (package None) or change one: the fields given, checked, saved and audited
    with what changed. The name is unique in its store (among the chain's for a chain package).
    A package's store is set when it is made and kept. Nothing changed: nothing written."""
    creating = package is None
    target_store = fields.get("store") if creating else None
    if not package_may_change(by, package, store=target_store):
        raise PermissionDenied
    if creating:
        package = Package()
    else:
        package = Package.objects.select_for_update().get(pk=package.pk)
        fields.pop("store", None)  # a package stays in its store: its orders are that store's
    unknown = set(fields) - set(PACKAGE_FIELDS)
    if unknown:
        raise ValueError(f"not fields of a package: {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    changes = {}
    for name, value in fields.items():
        before = getattr(package, name)
        if creating or _plain(before) != _plain(value):
            changes[name] = [None if creating else _plain(before), _plain(value)]
            setattr(package, name, value)
    if not changes:
        return package
    if _name_taken(package):
        raise ValidationError({"name": _("本门店已有同名套系“%(name)s”。") % {"name": package.name}
                               if package.store_id else
                               _("已有同名的全部门店通用套系“%(name)s”。") % {"name": package.name}})
    package.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():  # a name taken at the same moment: the field's error
            package.save()
    except IntegrityError:
        raise ValidationError({"name": _("已有同名套系，请换一个名称。")}) from None
    audit_log(actor=by, action=AuditAction.CHANGE_PACKAGE, obj=package,
              detail={"changes": changes, **({"created": True} if creating else {})})
    return package


@transaction.atomic
def store_settings_save(*, store: Store, by, **fields: Any) -> Store:
    """A store's sales rules (discount limit, auto-assignment of new customers, the terms printed
    on its documents), by its manager or the general manager; audited with what changed."""
    scope = scope_for(by)
    if not by.has_perm("orders.change_package") or scope.nothing or scope.owner_id is not None \
            or not (scope.all_stores or scope.store_id == store.pk):
        raise PermissionDenied
    store = Store.objects.select_for_update().get(pk=store.pk)
    changes = {}
    for name, value in fields.items():
        if name not in STORE_SETTINGS_FIELDS:
            raise ValueError(f"not a sales setting: {name}")
        if _plain(getattr(store, name)) != _plain(value):
            changes[name] = [_plain(getattr(store, name)), _plain(value)]
            setattr(store, name, value)
    if not changes:
        return store
    if store.discount_limit is None or store.discount_limit < 0:
        raise ValidationError({"discount_limit": _("优惠额度不能为负数。")})
    store.full_clean(exclude=["code"])
    store.save(update_fields=[*changes, "updated_at"])
    audit_log(actor=by, action=AuditAction.CHANGE_PACKAGE, obj=store,
              detail={"store_settings": changes})
    return store


def packages_list_for_packages_page(*, store: Store | None) -> QuerySet[Package]:
    """The packages sold in `store` (its own and the chain's), or every package (None: a general
    manager's whole chain), each with the number of orders of it (of `store`, or of every store):
    one query, the orders counted by a subquery on Order's package index."""
    orders = Order.objects.filter(package=OuterRef("pk"))
    packages = Package.objects.all()
    if store is not None:
        orders = orders.filter(store=store)
        packages = packages.filter(models.Q(store=store) | models.Q(store__isnull=True))
    used = orders.order_by().values("package").annotate(n=Count("*")).values("n")
    return (packages.select_related("store")
            .annotate(orders_count=Coalesce(Subquery(used), 0))
            .order_by("-is_active", models.F("store__code").asc(nulls_first=True), "kind", "price",
                      "pk"))
