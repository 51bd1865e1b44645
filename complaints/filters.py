"""The complaint archive's one FilterSet: the page, its Excel export and the API share it
(complaints.exports.complaint_archive_filtered). The API answers a value that is not one (an
unknown status, a date that is not one) with a 400 on its field; the page and the export leave
it out, as the page always did. A store that is not the viewer's to pick is a 400 everywhere
(staff.filters.StoreFilter)."""
import django_filters as filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.selectors import customers_search
from staff.filters import StoreFilter, ViewerFilterSet
from studio.filters import IdFilter

from .models import Complaint, ComplaintCategory, ComplaintStatus
from .statistics import CLOSED_STATUSES

STATUS_CHOICES = [("open", gettext_lazy("处理中（未结案）")),
                  ("ended", gettext_lazy("已结束（结案或驳回）")), *ComplaintStatus.choices]
YES_NO = [("yes", gettext_lazy("是")), ("no", gettext_lazy("否"))]


class ComplaintFilter(ViewerFilterSet):
    q = filters.CharFilter(method="filter_q", help_text="投诉人姓名包含 / 11 位手机号 / 手机尾号（≥4 位）")
    category = filters.ChoiceFilter(choices=ComplaintCategory.choices)
    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status",
                                  help_text="open：所有未结案的；ended：已结案或驳回的")
    department = IdFilter(field_name="responsible_department_id", help_text="责任部门")
    staff = IdFilter(method="filter_staff", help_text="责任人或处理人")
    start = filters.DateFilter(field_name="received_at", lookup_expr="date__gte",
                               help_text="投诉日期 ≥（YYYY-MM-DD）")
    end = filters.DateFilter(field_name="received_at", lookup_expr="date__lte",
                             help_text="投诉日期 ≤（YYYY-MM-DD）")
    store = StoreFilter(field_name="store_id")  # useful to a GM; others see one store
    valid = filters.ChoiceFilter(choices=YES_NO, method="filter_valid",
                                 help_text="yes：判定为有效投诉；no：判定为无效")
    overdue = filters.ChoiceFilter(choices=YES_NO[:1], method="filter_overdue",
                                   help_text="yes：未结案且已过本步骤期限")

    class Meta:
        model = Complaint
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return customers_search(queryset, value, prefix="customer__")

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.open()
        if value == "ended":
            return queryset.filter(status__in=CLOSED_STATUSES)
        return queryset.filter(status=value) if value else queryset

    def filter_staff(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(responsible_staff_id=value) | Q(handled_by_id=value))

    def filter_valid(self, queryset, name, value):
        return queryset.filter(is_valid=value == "yes") if value else queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.open().filter(step_due_at__lt=timezone.now()) if value else queryset
