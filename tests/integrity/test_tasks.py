"""Every Celery task of the project is safe to run twice: a redelivered message (or beat running
a sweep again) changes nothing. Each task gets work from its case in task_cases.py, runs, and
runs again; the second run must leave every project table exactly as the first left it."""
import pytest
from django.conf import settings

from .conftest import project_tasks, run_task, snapshot
from .task_cases import CASES

pytestmark = pytest.mark.django_db


@pytest.mark.clock
def test_every_project_task_has_a_case():
    tasks = set(project_tasks())
    assert tasks - set(CASES) == set(), "a task without a run-twice case in task_cases.py"
    assert set(CASES) - tasks == set(), "a case for a task that no longer exists"


def test_every_beat_entry_runs_a_project_task():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(project_tasks())


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.clock
def test_a_task_run_twice_changes_nothing_the_second_time(name, world):
    case, task = CASES[name], project_tasks()[name]
    args = case.setup(world)
    before = snapshot()
    run_task(task, args)  # as a worker runs it (an error is raised here)
    once = snapshot()
    if case.writes:
        assert once != before, "the case gave the task no work"
    run_task(task, args)  # the same message delivered again
    assert snapshot() == once
