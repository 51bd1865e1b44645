"""The member list as the page filters it, and its Excel export (studio.exports)."""
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.selectors import customers_search
from staff.scoping import store_for
from studio.exports import ListExport, XlsxColumn, register_export

from .forms import NO_ACTIVE_CARD, MemberFilterForm
from .models import CardStatus, MemberAccount, MemberCard
from .selectors import members_visible_to


def _current_card(field: str) -> Subquery:
    # A lost card is replaced in the same moment, so the newest card is the member's card now.
    return Subquery(MemberCard.objects.filter(account=OuterRef("pk"))
                    .order_by("-issued_at", "-pk").values(field)[:1])


def member_list_filtered(user, params: QueryDict) -> tuple[MemberFilterForm, QuerySet[MemberAccount]]:
    """(form, members): members with their customer, specialist, tier and current card (one
    query per page), under the list's filters; invalid filters show nothing. `store` and
    `points=yes` (a balance to redeem) narrow the list as the dashboards count it."""
    form = MemberFilterForm(params or None)
    members = (members_visible_to(user)
               .select_related("customer__store", "customer__assigned_to", "tier")
               .annotate(card_number=_current_card("number"), card_status=_current_card("status"))
               .order_by("-created_at", "-pk"))
    store = store_for(user, params.get("store"), writing=False)  # a bad or foreign one: 400
    if store is not None:  # narrows the viewer's scope, never widens it
        members = members.filter(store=store)
    if params.get("points") == "yes":
        members = members.filter(points_balance__gt=0)
    if not form.is_bound:
        return form, members
    if not form.is_valid():
        return form, members.none()
    data = form.cleaned_data
    members = customers_search(members, data["q"], prefix="customer__")
    if data["tier"]:
        members = members.filter(tier=data["tier"])
    if data["card"] == NO_ACTIVE_CARD:
        members = members.exclude(cards__status=CardStatus.ACTIVE)
    elif data["card"]:
        members = members.filter(card_status=data["card"])
    return form, members


def card_label(status: str | None) -> str:
    return str(CardStatus(status).label) if status in CardStatus.values else ""


@register_export("members")
def export_members(user, params: QueryDict) -> ListExport:
    if not user.has_perm("customers.export_customer"):
        raise PermissionDenied
    reveal = user.has_perm("customers.view_full_mobile")
    _form, members = member_list_filtered(user, params)
    columns = [XlsxColumn(h, w) for h, w in [
        (_("客户"), 14), (_("手机号"), 14), (_("门店"), 12), (_("负责客服"), 12), (_("等级"), 8),
        (_("卡号"), 14), (_("卡状态"), 10), (_("积分余额"), 10), (_("累计消费"), 14),
        (_("入会时间"), 18)]]

    def row(member: MemberAccount) -> list:
        customer = member.customer
        return [str(customer), customer.mobile if reveal else customer.masked_mobile,
                customer.store.name,
                customer.assigned_to.display_name if customer.assigned_to else "",
                member.tier.name, member.card_number or "", card_label(member.card_status),
                member.points_balance, member.total_spent, member.created_at]

    return ListExport(filename=f"会员-{timezone.localdate():%Y%m%d}.xlsx", title=_("会员"),
                      columns=columns, queryset=members, row=row)
