"""Shared by the integrity tests: a small studio ("world") that any number of cases can add
work to, a way to do work as if its on-commit messages were lost, and state fingerprints."""
import threading
import uuid
from collections import Counter
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connections, models, transaction

from membership.models import MemberAccount
from tests.customers.factories import CustomerFactory
from tests.membership.factories import MemberAccountFactory
from tests.orders.factories import OrderFactory

PROJECT_APPS = ("studio", "staff", "messaging", "webhooks", "customers", "orders", "frontdesk",
                "imports", "membership", "callbacks", "complaints", "dashboards")


@pytest.fixture
def world(store, front_desk, supervisor, specialist, package, settings):
    return SimpleNamespace(store=store, front_desk=front_desk, supervisor=supervisor,
                           specialist=specialist, package=package, settings=settings)


def new_order(world, **customer):
    customer = CustomerFactory(**{"store": world.store, "assigned_to": world.specialist, **customer})
    return OrderFactory(customer=customer, package=world.package, by=world.front_desk)


def new_member(world, points: int = 0, customer=None) -> MemberAccount:
    customer = customer or CustomerFactory(store=world.store, assigned_to=world.specialist)
    return MemberAccountFactory(customer=customer, number=uuid.uuid4().hex[:12].upper(),
                                by=world.front_desk, points=points, adjusted_by=world.supervisor,
                                reason="开卡礼")


@contextmanager
def lost_messages():
    """Do the work inside as if every message sent on its commit were lost (a broker outage,
    a crash between commit and send): what is left is for the beat sweeps to find."""
    with transaction.atomic():
        connection = transaction.get_connection()
        kept = len(connection.run_on_commit)
        yield
        del connection.run_on_commit[kept:]


def project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS
            and not m._meta.proxy]


# Tables whose rows record when they were last written, compared by these fields only: a second
# heartbeat that stamps a later time is doing its job (issue 18), a new row would still show.
STAMPS = {"studio.Heartbeat": ("name",)}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every project table: equal snapshots mean nothing was written."""
    return {m._meta.label: list(m.objects.order_by("pk").values_list(
        *STAMPS.get(m._meta.label, ()))) for m in project_models()}


def fingerprint() -> Counter:
    """What a run did, independent of ids and names: rows per table, rows per value of each
    choice field (status, kind, …), the sum of each quantity (attempts, points, amounts) and
    how many of each optional link are set."""
    found: Counter = Counter()
    for model in project_models():
        label, sums, choices = model._meta.label, {}, []
        for field in model._meta.concrete_fields:
            if field.is_relation and field.null:  # which links are set (not to whom)
                sums[f"{label}.{field.name}.set"] = models.Count(field.attname)
            if field.primary_key or field.is_relation or field.name.endswith("id"):
                continue  # ids differ between two equal pieces of work
            if field.choices:
                choices.append(field.attname)
            elif isinstance(field, models.IntegerField | models.DecimalField):
                sums[f"{label}.{field.name}.sum"] = models.Sum(field.attname)
        found.update({k: v or 0 for k, v in model.objects.aggregate(
            **{label: models.Count("pk")}, **sums).items()})
        for attname in choices:
            for value, n in (model.objects.order_by().values_list(attname)
                             .annotate(n=models.Count("pk"))):
                found[f"{label}.{attname}={value}"] = n
    return found


def changes(before: Counter, after: Counter) -> dict[str, object]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in before.keys() | after.keys()
            if after.get(k, 0) != before.get(k, 0)}


def project_tasks() -> dict:
    """Every registered Celery task of the project's apps, by name."""
    from studio.celery import app

    app.loader.import_default_modules()  # autodiscovery: every app's tasks.py
    return {name: task for name, task in app.tasks.items()
            if name.split(".")[0] in PROJECT_APPS}


def run_task(task, args=()):
    """Run a task as the worker does (eagerly, here); its error is raised. Not EagerResult.get():
    that checks Celery's process-wide "inside a task" flag, which racing threads leave set."""
    result = task.apply(args=args)
    if result.failed():
        raise result.result
    return result.result


def in_threads(n: int, work) -> list:
    """Run work() in n threads released together by a barrier; results or exceptions."""
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run(i: int):
        try:
            barrier.wait()
            result = work(i)
        except Exception as exc:  # collected and asserted by the test
            result = exc
        finally:
            connections.close_all()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
