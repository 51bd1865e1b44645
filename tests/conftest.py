"""Fixtures shared by every test: a small studio with one person per role."""
import os
import subprocess
import sys
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation

from orders.services import order_create
from staff.models import Role

from .clock import ENVIRONMENT_VARIABLE, parse_clock
from .customers.factories import CustomerFactory
from .orders.factories import PackageFactory
from .staff.factories import StaffMemberFactory, StoreFactory


@pytest.fixture(autouse=True)
def _clock_from_the_environment(request):
    """STUDIO_TEST_CLOCK=23:30 (today's local date) or "2026-12-31 23:50": each test marked
    `clock` runs with the clock travelled there, ticking (tests/clock.py). Defined first, so that
    it starts before the other fixtures build their rows."""
    spec = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not spec or request.node.get_closest_marker("clock") is None:
        yield
        return
    with time_machine.travel(parse_clock(spec), tick=True):
        yield


@pytest.fixture(autouse=True)
def _chinese_by_default(settings):
    # A request in English leaves English active in this thread; each test starts in Chinese.
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # uploaded signatures stay out of var/
    settings.BACKUP_DIR = tmp_path / "backups"  # and so do backups (the nightly task's case)


@pytest.fixture(autouse=True)
def _not_inside_a_task():
    # Celery keeps a process-wide "inside a task" flag that eager tasks racing in threads can
    # leave set; a later result.get() would then refuse to wait.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _sms_sent_at_any_hour(settings, request):
    """Messages go at once whatever the hour the suite runs (CI runs in Shanghai nights too):
    holding SMS in the store's quiet hours is tested by the tests marked `sms_quiet_hours`,
    each at the time it picks."""
    if request.node.get_closest_marker("sms_quiet_hours") is None:
        settings.SMS_NOT_BEFORE = ""


@pytest.fixture(autouse=True)
def _fast_passwords_and_eager_celery(settings, request):
    # PBKDF2 costs ~0.6 s per check here; tests check logic, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if request.node.get_closest_marker("live_celery") is None:
        from studio.celery import app

        app.conf.task_always_eager = True
        yield
        app.conf.task_always_eager = False
    else:
        yield


@pytest.fixture
def store(db):
    return StoreFactory(code="S01", name="人民路店")


@pytest.fixture
def other_store(db):
    return StoreFactory(code="S02", name="滨江店")


@pytest.fixture
def staff_of(db, store):
    """staff_of(role, store=None, **kw) -> StaffMember with a login in the role's group."""

    def make(role: str, store_=None, **kwargs):
        return StaffMemberFactory(role=role, store=store_ or store, **kwargs)

    return make


@pytest.fixture
def specialist(staff_of):
    return staff_of(Role.SPECIALIST, user__username="specialist_a").user


@pytest.fixture
def other_specialist(staff_of):
    return staff_of(Role.SPECIALIST, user__username="specialist_b").user


@pytest.fixture
def supervisor(staff_of):
    return staff_of(Role.SUPERVISOR, user__username="supervisor").user


@pytest.fixture
def front_desk(staff_of):
    return staff_of(Role.FRONT_DESK, user__username="frontdesk").user


@pytest.fixture
def manager(staff_of):
    return staff_of(Role.STORE_MANAGER, user__username="manager").user


@pytest.fixture
def other_manager(staff_of, other_store):
    return staff_of(Role.STORE_MANAGER, other_store, user__username="manager2").user


@pytest.fixture
def general_manager(staff_of):
    return staff_of(Role.GENERAL_MANAGER, user__username="gm").user


@pytest.fixture
def package(db):
    return PackageFactory(name="经典婚纱照")


@pytest.fixture
def customer(store, specialist):
    return CustomerFactory(store=store, assigned_to=specialist, name="张三")


@pytest.fixture
def order(customer, package, front_desk):
    return order_create(customer=customer, package=package, by=front_desk)


@pytest.fixture
def live_worker():
    """A real Celery worker process on a queue of its own, reading the test database.
    Only with a Redis broker (CI runs the suite against this machine's Redis)."""
    if not django_settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs CELERY_BROKER_URL=redis://… (run in CI against this machine's Redis)")
    from studio.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "studio.settings",
           "STUDIO_SMS_NOT_BEFORE": ""}  # as in this process (_sms_sent_at_any_hour)
    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "studio", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=django_settings.BASE_DIR, env=env)
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = default_queue
    process.terminate()
    process.wait(timeout=30)
