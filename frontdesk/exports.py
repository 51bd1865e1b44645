"""The front desk's list exports (studio.exports): 催件, late production, 走单, rework.

These are the desk's working lists: exporting one needs the list's own view permission (the
front desk chases the lab with them) and is audited like every export; the customer registers
(customers, stage lists, callbacks, members) also need customers.export_customer.
"""
from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from studio.exports import ListExport, XlsxColumn, register_export

from .flowcards import reworks_list_for_desk
from .models import (
    ProductionItem,
    ProductionStatus,
    ProductKind,
    Rework,
    ReworkStatus,
    WalkOut,
    WalkOutReason,
    WalkOutStatus,
)
from .production import production_late, production_list_for_production, walkouts_list_for_walkouts


def _choice(params: QueryDict, key: str, values) -> str:
    value = params.get(key, "")
    return value if value in values else ""


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def production_filtered(user, params: QueryDict):
    """(status, kind, items): the 催件 list under its filters; unknown values are ignored."""
    status = _choice(params, "status", ProductionStatus.values)
    kind = _choice(params, "kind", ProductKind.values)
    return status, kind, production_list_for_production(user, status=status, kind=kind)


def walkouts_filtered(user, params: QueryDict):
    """(status, reason, q, walk-outs): the 走单 list under its filters."""
    status = _choice(params, "status", WalkOutStatus.values)
    reason = _choice(params, "reason", WalkOutReason.values)
    q = params.get("q", "").strip()[:50]
    store = params.get("store", "")
    return status, reason, q, walkouts_list_for_walkouts(
        user, status=status, reason=reason, q=q, visited_from=_day(params, "visited_from"),
        visited_to=_day(params, "visited_to"), store_id=int(store) if store.isdigit() else None)


def _day(params: QueryDict, key: str) -> date | None:
    """A YYYY-MM-DD filter; a bad one is ignored, as a bad choice is."""
    try:
        return parse_date(params.get(key, "").strip())
    except ValueError:
        return None


def reworks_filtered(user, params: QueryDict):
    status = _choice(params, "status", ReworkStatus.values)
    return status, reworks_list_for_desk(user, status=status or None)


@register_export("production")
def export_production(user, params: QueryDict) -> ListExport:
    """The whole filtered 催件 list (every page), one row a product."""
    _require(user, "frontdesk.view_productionitem")
    _status, _kind, items = production_filtered(user, params)
    columns = [XlsxColumn(h, w) for h, w in [
        (_("订单号"), 9), (_("套系"), 16), (_("门店"), 12), (_("客户"), 12), (_("产品"), 10),
        (_("说明"), 20), (_("数量"), 6), (_("状态"), 10), (_("送厂时间"), 17),
        (_("预计到店"), 12), (_("到店时间"), 17), (_("质检数量"), 8), (_("质检人"), 10),
        (_("质检说明"), 20), (_("质检时间"), 17), (_("取件人"), 10), (_("取件时间"), 17)]]

    def row(i: ProductionItem) -> list:
        return [i.order_id, i.order.package.name, i.order.store.name, str(i.order.customer),
                i.get_kind_display(), i.description, i.quantity, i.get_status_display(), i.sent_at,
                i.due_on, i.arrived_at, i.qc_count, i.qc_by.display_name if i.qc_by else "",
                i.qc_note, i.qc_at, i.picked_up_by, i.picked_up_at]

    return ListExport(filename=f"催件-{timezone.localdate():%Y%m%d}.xlsx", title=_("催件"),
                      columns=columns, queryset=items, row=row)


@register_export("late_production")
def export_late_production(user, params: QueryDict) -> ListExport:
    """Every late product in scope (every page), with the days it is overdue."""
    _require(user, "frontdesk.view_productionitem")
    today = timezone.localdate()
    columns = [XlsxColumn(h, w) for h, w in [
        (_("订单号"), 9), (_("套系"), 16), (_("门店"), 12), (_("客户"), 12), (_("产品"), 10),
        (_("说明"), 20), (_("数量"), 6), (_("送厂时间"), 17), (_("预计到店"), 12),
        (_("逾期天数"), 8)]]

    def row(i: ProductionItem) -> list:
        return [i.order_id, i.order.package.name, i.order.store.name, str(i.order.customer),
                i.get_kind_display(), i.description, i.quantity, i.sent_at, i.due_on,
                (today - i.due_on).days]

    return ListExport(filename=f"逾期制作-{today:%Y%m%d}.xlsx", title=_("逾期制作"),
                      columns=columns, queryset=production_late(user, today=today), row=row,
                      detail={"today": today.isoformat()})


@register_export("walkouts")
def export_walkouts(user, params: QueryDict) -> ListExport:
    """The whole filtered 走单 list (every page); mobiles masked unless the viewer sees them."""
    _require(user, "frontdesk.view_walkout")
    reveal = user.has_perm("customers.view_full_mobile")
    *_filters, walkouts = walkouts_filtered(user, params)
    columns = [XlsxColumn(h, w) for h, w in [
        (_("到店时间"), 17), (_("客户"), 12), (_("手机号"), 14), (_("门店"), 12),
        (_("流失原因"), 12), (_("说明"), 24), (_("接待门市"), 10), (_("状态"), 8),
        (_("成交订单"), 9), (_("结束时间"), 17)]]

    def row(w: WalkOut) -> list:
        return [w.visited_at, str(w.customer),
                w.customer.mobile if reveal else w.customer.masked_mobile, w.store.name,
                w.get_reason_display(), w.reason_note,
                w.consultant.display_name if w.consultant else "", w.get_status_display(),
                w.converted_order_id, w.closed_at]

    return ListExport(filename=f"走单-{timezone.localdate():%Y%m%d}.xlsx", title=_("走单"),
                      columns=columns, queryset=walkouts, row=row)


@register_export("reworks")
def export_reworks(user, params: QueryDict) -> ListExport:
    """The whole filtered rework list (every page), one row a rework."""
    _require(user, "frontdesk.view_rework")
    _status, records = reworks_filtered(user, params)
    columns = [XlsxColumn(h, w) for h, w in [
        (_("申请时间"), 17), (_("订单号"), 9), (_("套系"), 16), (_("门店"), 12), (_("客户"), 12),
        (_("返工内容"), 24), (_("返工原因"), 30), (_("申请人"), 10), (_("状态"), 8),
        (_("审批店长"), 10), (_("审批时间"), 17), (_("审批意见"), 24), (_("完成时间"), 17)]]

    def row(r: Rework) -> list:
        return [r.created_at, r.order_id, r.order.package.name, r.order.store.name,
                r.order.customer.name, r.items, r.reason, r.requested_by.display_name,
                r.get_status_display(), r.decided_by.display_name if r.decided_by else "",
                r.decided_at, r.decision_note, r.done_at]

    return ListExport(filename=f"返工记录-{timezone.localdate():%Y%m%d}.xlsx", title=_("返工记录"),
                      columns=columns, queryset=records, row=row)
