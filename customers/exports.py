"""The customer list's Excel export (studio.exports): the same search as the page."""
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.exports import ListExport, XlsxColumn, register_export

from .filters import CustomerFilter
from .models import Customer, SourceChannel
from .selectors import customers_visible_to


def customer_list_filtered(user, params: QueryDict) -> QuerySet[Customer]:
    """The customer list for `user` under the list's FilterSet (the API's too): search by name
    or mobile, by specialist, only unassigned, by store; newest first."""
    return CustomerFilter(params, queryset=customers_visible_to(user).order_by(
        "-created_at", "-pk"), user=user).qs


@register_export("customers")
def export_customers(user, params: QueryDict) -> ListExport:
    if not user.has_perm("customers.export_customer"):
        raise PermissionDenied
    reveal = user.has_perm("customers.view_full_mobile")
    columns = [XlsxColumn(h, w) for h, w in [
        (_("客户"), 14), (_("手机号"), 14), (_("微信号"), 14), (_("门店"), 12), (_("负责客服"), 10),
        (_("客户来源"), 12), (_("VIP 会员"), 8), (_("婚期"), 12), (_("宝宝生日"), 12),
        (_("建档时间"), 17)]]

    # Labels looked up once, not per row (get_FOO_display rebuilds its choices on every call).
    sources = {k: str(v) for k, v in SourceChannel.choices}

    def row(c) -> list:
        return [str(c), c.mobile if reveal else c.masked_mobile,
                c.wechat, c.store.name, c.assigned_to.display_name if c.assigned_to else "",
                sources.get(c.source, c.source), c.is_vip, c.wedding_on, c.child_birthday_on,
                c.created_at]

    return ListExport(
        filename=f"客户-{timezone.localdate():%Y%m%d}.xlsx", title=_("客户"), columns=columns,
        queryset=customer_list_filtered(user, params).select_related("assigned_to", "store"),
        row=row)
