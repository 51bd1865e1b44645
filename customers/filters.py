"""The customer list's one FilterSet: the page, its Excel export and the API share it."""
import django_filters as filters

from staff.filters import StoreFilter
from studio.filters import IdFilter

from .models import Customer
from .selectors import customers_search


class CustomerFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", help_text="姓名包含 / 11 位手机号 / 手机尾号（≥4 位）")
    assigned_to = IdFilter(field_name="assigned_to_id")
    unassigned = filters.BooleanFilter(method="filter_unassigned")
    store = StoreFilter(field_name="store_id")  # useful to a GM; others see one store

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return customers_search(queryset, value)

    def filter_unassigned(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(assigned_to__isnull=value)
