"""What every list's FilterSet shares about the viewer (django-filter): who they are, and the
store filter."""
import django_filters as filters
from django import forms
from django.db.models import QuerySet

from .scoping import store_for


class ViewerFilterSet(filters.FilterSet):
    """A FilterSet that knows its viewer: the request's user (a page, the API), or `user=` (an
    export, which the worker rebuilds from the user and the list's filters alone)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = user if user is not None else getattr(request, "user", None)


class StoreFilter(filters.NumberFilter):
    """?store=<id> on a list: narrows what the viewer sees to the store `store_for` gives them
    (reading). Anything that is not a store theirs to pick (not a number, another store, an
    unknown or a closed one) is refused with a 400 naming the store, on the page as in the API,
    not answered with an empty or another store's list. The text goes to store_for as typed
    (the schema still says integer: a store's id)."""

    field_class = forms.CharField

    def get_max_validator(self):
        return None  # store_for bounds the id

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value in (None, ""):
            return qs
        user = getattr(self.parent, "user", None) or getattr(
            getattr(self.parent, "request", None), "user", None)
        if user is None:  # no viewer to ask about: narrow only (the scope is already applied)
            return qs.filter(**{self.field_name: value}) if str(value).isdigit() else qs.none()
        store = store_for(user, value, writing=False)
        return qs.filter(**{self.field_name: store.pk})
