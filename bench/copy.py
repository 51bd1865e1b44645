"""Write unsaved model instances fast: PostgreSQL COPY with primary keys reserved up front,
bulk_create elsewhere (SQLite in the tests).

Instances may point at other unsaved instances (Order(customer=customer)); once every group has
its primary keys the foreign-key columns are filled from the cached objects, as bulk_create's
_prepare_related_fields_for_save would. Only concrete, non-generated columns are written
(Order.balance_owed is computed by the database).
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.fields.files import FieldFile
from django.utils import timezone

# (model, instances, prepare): prepare runs once the earlier groups' keys are known.
Group = tuple[type[models.Model], Sequence[models.Model], Callable[[], None] | None]

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return (value.name or "").translate(_ESCAPES)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


class _Columns:
    """What COPY writes for one model, and how each column turns into text."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]
        self.table = model._meta.db_table
        self.names = [f.column for f in fields]
        self.columns = [(f.attname, _kind(f),
                         getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
                        for f in fields]
        self.relations = [(f.name, f.attname) for f in fields if f.is_relation]


def _kind(f: models.Field) -> str:
    if f.is_relation or isinstance(f, models.IntegerField | models.AutoField | models.DecimalField
                                   | models.FloatField):
        return "num"
    if isinstance(f, models.BooleanField):
        return "bool"
    if isinstance(f, models.DateField | models.TimeField):  # DateTimeField is a DateField
        return "time"
    if isinstance(f, models.CharField | models.TextField) and not isinstance(f, models.FileField):
        return "str"
    return "other"


def _column(values: list[Any], kind: str) -> list[str]:
    """One column of a COPY block: comprehensions, not a call per value."""
    if kind == "str":
        return ["\\N" if v is None else v.translate(_ESCAPES) for v in values]
    if kind == "num":
        return ["\\N" if v is None else str(v) for v in values]
    if kind == "time":
        return ["\\N" if v is None else v.isoformat() for v in values]
    if kind == "bool":
        return ["\\N" if v is None else "t" if v else "f" for v in values]
    return [_text(v) for v in values]


_columns: dict[type[models.Model], _Columns] = {}


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Take `count` consecutive ids from the table's sequence; returns the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id'))"
            " + %s - 1)", [table, table, count])
        last = cursor.fetchone()[0]
    return last - count + 1


def _copy(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    cols = _columns.get(model) or _columns.setdefault(model, _Columns(model))
    now = timezone.now()
    dicts = [obj.__dict__ for obj in objs]
    if cols.relations:
        for obj, d in zip(objs, dicts, strict=True):
            cache = obj._state.fields_cache
            for name, attname in cols.relations:
                if d.get(attname) is None:
                    related = cache.get(name)
                    if related is not None:
                        d[attname] = related.pk
    columns = []
    for attname, kind, auto in cols.columns:
        values = [d.get(attname) for d in dicts]
        if auto:
            values = [now if v is None else v for v in values]
        columns.append(_column(values, kind))
    buffer = io.StringIO("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n")
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f'COPY {cols.table} ({", ".join(connection.ops.quote_name(n) for n in cols.names)}) FROM STDIN',
            buffer)


def write(groups: Sequence[Group]) -> None:
    """Insert the groups in order (a parent before its children), inside the caller's
    transaction."""
    if not is_postgresql():
        for model, objs, prepare in groups:
            if prepare is not None:
                prepare()
            if objs:
                model.objects.bulk_create(objs, batch_size=2000)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # Foreign keys are right by construction; checking millions of them at commit,
            # one trigger call per row, would double the build time.
            cursor.execute("SET LOCAL session_replication_role = replica")
    for model, objs, _ in groups:
        if objs:
            first = reserve_ids(model, len(objs))
            for i, obj in enumerate(objs):
                obj.pk = first + i
    for model, objs, prepare in groups:
        if prepare is not None:
            prepare()
        if objs:
            _copy(model, objs)
    for _model, objs, _ in groups:
        for obj in objs:
            obj._state.adding = False


class _Spec:
    """How `make` fills a model's instance: defaults, callable defaults, relation names."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = model._meta.concrete_fields
        self.defaults = {f.attname: f.get_default() for f in fields
                         if not (f.has_default() and callable(f.default))}
        self.callables = [(f.attname, f.default) for f in fields
                          if f.has_default() and callable(f.default)]
        self.relations = {f.name: f.attname for f in fields if f.is_relation}


_specs: dict[type[models.Model], _Spec] = {}


def make(model: type[models.Model], **values: Any) -> models.Model:
    """An unsaved instance, like model(**values) but several times faster: no signals, no
    per-field descriptor round trips. For the millions of rows of the bench data set only."""
    spec = _specs.get(model) or _specs.setdefault(model, _Spec(model))
    obj = model.__new__(model)
    d = obj.__dict__
    d.update(spec.defaults)
    for attname, default in spec.callables:
        d[attname] = default()
    obj._state = ModelState()
    cache = obj._state.fields_cache
    relations = spec.relations
    for key, value in values.items():
        attname = relations.get(key)
        if attname is None:
            d[key] = value
        else:
            cache[key] = value
            d[attname] = value.pk if value is not None else None
    return obj
