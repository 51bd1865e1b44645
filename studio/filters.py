"""Filter pieces every API list shares (django-filter)."""
import django_filters as filters
from django import forms

MAX_ID = 2**63 - 1  # the largest key PostgreSQL's bigint and SQLite's integer hold


class IdFilter(filters.NumberFilter):
    """A row's id in a query string (?store=3): a whole number a key can hold, or the list
    answers 400 with the field's error (not a database overflow and a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
