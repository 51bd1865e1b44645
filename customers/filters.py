"""The customer list's one FilterSet: the page, its Excel export and the API share it
(customers.exports.customer_list_filtered). The API answers a value that is not one with a
400 on its field; the page and the export leave it out, as the page always did. A store that
is not the viewer's to pick is a 400 everywhere (staff.filters.StoreFilter)."""
import django_filters as filters
from django_filters.widgets import BooleanWidget

from staff.filters import StoreFilter, ViewerFilterSet
from studio.filters import IdFilter

from .models import Customer
from .selectors import customers_search


class CustomerFilter(ViewerFilterSet):
    q = filters.CharFilter(method="filter_q", help_text="姓名包含 / 11 位手机号 / 手机尾号（≥4 位）")
    assigned_to = IdFilter(field_name="assigned_to_id")
    # true/false (the API), 1/0 (the page's link to the unassigned customers).
    unassigned = filters.BooleanFilter(method="filter_unassigned", widget=BooleanWidget())
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
