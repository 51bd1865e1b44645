"""The stage lists' and the payment ledger's Excel exports (studio.exports): the same filters
and columns as the page."""
from datetime import datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from staff.models import Role, Store
from staff.scoping import StoreField
from staff.selectors import staff_users_in_scope
from studio.exports import ListExport, XlsxColumn, register_export
from studio.forms import DateInput
from studio.periods import PeriodForm

from .filters import StageFilter
from .models import Payment, PaymentKind, PaymentMethod, StageKind
from .selectors import (
    payments_list_for_payment_list,
    stage_rows_with_people,
    stages_list_for_stage_list,
)
from .tables import STAGE_COLUMNS, RowContext, xlsx_columns


def stage_list_filtered(user, kind: str, params: QueryDict):
    """(filterset, stages): one stage's list for `user` under the list's GET filters."""
    queryset = stages_list_for_stage_list(user, kind)
    # django-filter only asks the request for its user (the staff choices in scope).
    stage_filter = StageFilter(params, queryset=queryset, kind=kind,
                               request=SimpleNamespace(user=user))
    return stage_filter, (stage_filter.qs if stage_filter.is_valid() else queryset.none())


def _stage_list_exporter(kind: str):
    def export(user, params: QueryDict) -> ListExport:
        if not user.has_perm("customers.export_customer"):
            raise PermissionDenied
        _filter, stages = stage_list_filtered(user, kind, params)
        ctx = RowContext(now=timezone.now(), reveal_mobile=user.has_perm("customers.view_full_mobile"))
        columns = STAGE_COLUMNS[kind]
        label = StageKind(kind).label
        return ListExport(
            filename=f"{label}客户-{timezone.localdate():%Y%m%d}.xlsx", title=str(label),
            columns=xlsx_columns(kind), queryset=stages,
            row=lambda stage: [column.value(stage, ctx) for column in columns],
            prepare=stage_rows_with_people,
            detail={"list": f"stage:{kind}"})

    return export


for _kind in StageKind.values:
    register_export(f"stage_list:{_kind}")(_stage_list_exporter(_kind))


# ---- the payment ledger (收款记录): what the manager's revenue figures add up ----------------

PAYMENTS_PERMISSION = "staff.view_manager_dashboard"  # who sees revenue on the dashboards


class PaymentFilterForm(PeriodForm):
    """Store (a general manager's choice), received between two local dates (studio.periods: a
    bound left out is no bound, reversed dates are swapped), kind, method and the order's
    门市顾问 (the dashboards' revenue per person)."""

    open_ended = True
    field_order = ["store", "start", "end", "kind", "method", "consultant"]
    store = StoreField(label=gettext_lazy("门店"), empty_label=gettext_lazy("全部门店"))
    start = forms.DateField(label=gettext_lazy("收款日期从"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("收款日期至"), required=False, widget=DateInput())
    kind = forms.ChoiceField(label=gettext_lazy("款项"), required=False,
                             choices=[("", gettext_lazy("全部款项")), *PaymentKind.choices])
    method = forms.ChoiceField(label=gettext_lazy("支付方式"), required=False,
                               choices=[("", gettext_lazy("全部方式")), *PaymentMethod.choices])
    consultant = forms.ModelMultipleChoiceField(label=gettext_lazy("门市顾问"),
                                                queryset=Store.objects.none(), required=False)

    def __init__(self, data=None, *, user) -> None:
        super().__init__(data)
        self.fields["store"].bind(user, writing=False)
        self.fields["consultant"].queryset = staff_users_in_scope(user, *Role.values)
        # People by the name the pages show them by (赵雪), not their login (frontdesk).
        self.fields["consultant"].label_from_instance = lambda person: person.display_name
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")


def _local_midnight(day) -> datetime:
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def payment_list_filtered(user, params: QueryDict
                          ) -> tuple[PaymentFilterForm, QuerySet[Payment]]:
    """(form, payments): the ledger in `user`'s scope under the list's filters; a filter that
    is not valid (a store out of scope, a date that is not one) shows nothing."""
    form = PaymentFilterForm(params or None, user=user)
    payments = payments_list_for_payment_list(user)
    if not form.is_bound:
        return form, payments
    if not form.is_valid():
        return form, payments.none()
    data = form.cleaned_data
    if data["store"]:
        payments = payments.filter(order__store=data["store"])
    if data["start"]:  # a day is the store's local day
        payments = payments.filter(paid_at__gte=_local_midnight(data["start"]))
    if data["end"]:
        payments = payments.filter(paid_at__lt=_local_midnight(data["end"] + timedelta(days=1)))
    if data["kind"]:
        payments = payments.filter(kind=data["kind"])
    if data["method"]:
        payments = payments.filter(method=data["method"])
    if data["consultant"]:
        payments = payments.filter(order__consultant__in=data["consultant"])
    return form, payments


def payment_totals(payments: QuerySet[Payment]) -> dict[str, Decimal | int]:
    """The total row: how many, received, refunded and net (received − refunded): one query."""
    zero = Decimal("0.00")
    sums = payments.order_by().aggregate(
        count=Count("pk"),
        received=Sum("amount", filter=~Q(kind=PaymentKind.REFUND), default=zero),
        refunded=Sum("amount", filter=Q(kind=PaymentKind.REFUND), default=zero))
    return {**sums, "net": sums["received"] - sums["refunded"]}


def payment_row(payment: Payment) -> list:
    order = payment.order
    return [payment.paid_at, order.store.name, str(order.customer), order.package.name,
            payment.get_kind_display(), payment.get_method_display(), payment.signed_amount,
            payment.received_by.display_name,
            order.consultant.display_name if order.consultant else "", payment.note]


def payment_columns() -> list[XlsxColumn]:
    return [XlsxColumn(h, w) for h, w in [
        (_("收款时间"), 17), (_("门店"), 12), (_("客户"), 14), (_("套系"), 16), (_("款项"), 12),
        (_("支付方式"), 10), (_("金额"), 12), (_("经手人"), 10), (_("门市顾问"), 10),
        (_("备注"), 24)]]


@register_export("payments")
def export_payments(user, params: QueryDict) -> ListExport:
    if not user.has_perm(PAYMENTS_PERMISSION):
        raise PermissionDenied
    _form, payments = payment_list_filtered(user, params)
    return ListExport(filename=f"收款记录-{timezone.localdate():%Y%m%d}.xlsx",
                      title=_("收款记录"), columns=payment_columns(), queryset=payments,
                      row=payment_row)

