"""The store filter every list shares (django-filter)."""
from django.db.models import QuerySet

from studio.filters import IdFilter

from .scoping import store_for


class StoreFilter(IdFilter):
    """?store=<id> on a list: narrows what the viewer sees to the store `store_for` gives them
    (reading). A store that is not theirs to pick (another store, an unknown or a closed one)
    is refused with a 400 naming the store, not answered with an empty or another store's list.
    Needs the FilterSet's request (pages, exports and DRF pass it)."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value in (None, ""):
            return qs
        request = getattr(self.parent, "request", None)
        if request is None:  # no viewer to ask about: narrow only (the scope is already applied)
            return qs.filter(**{self.field_name: value})
        store = store_for(request.user, value, writing=False)
        return qs.filter(**{self.field_name: store.pk})
