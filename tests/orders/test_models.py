"""Stage workflow rules, tested in memory (no database)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from orders.models import STAGE_TRANSITIONS, OrderStage, Package, StageKind, StageStatus
from studio.errors import TransitionNotAllowed

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_done_stage_cannot_be_completed_again():
    stage = OrderStage(kind=StageKind.SHOOT, sequence=2, status=StageStatus.DONE, completed_at=NOW)
    with pytest.raises(TransitionNotAllowed):
        stage.complete(at=NOW, by=None)


def test_a_done_stage_cannot_be_rescheduled():
    stage = OrderStage(kind=StageKind.SHOOT, sequence=2, status=StageStatus.DONE, completed_at=NOW)
    with pytest.raises(TransitionNotAllowed):
        stage.schedule(at=NOW + timedelta(days=1))


def test_a_scheduled_stage_can_be_moved_and_then_completed():
    stage = OrderStage(kind=StageKind.SHOOT, sequence=2)
    stage.schedule(at=NOW)
    stage.schedule(at=NOW + timedelta(days=2))
    stage.complete(at=NOW + timedelta(days=2), by=None)
    assert (stage.status, stage.scheduled_at, stage.completed_at) == (
        StageStatus.DONE, NOW + timedelta(days=2), NOW + timedelta(days=2))


def test_late_means_scheduled_in_the_past_and_not_done():
    stage = OrderStage(kind=StageKind.SELECTION, sequence=3)
    stage.schedule(at=NOW - timedelta(hours=1))
    assert stage.is_late(NOW)
    assert not stage.is_late(NOW - timedelta(hours=2))
    stage.complete(at=NOW, by=None)
    assert not stage.is_late(NOW)


def test_every_status_has_a_row_in_the_transition_map():
    assert set(STAGE_TRANSITIONS) == set(StageStatus.values)


def test_a_childrens_package_without_gowns_skips_gown_selection():
    wedding = Package(name="婚纱", price=5999, includes_gown_selection=True)
    children = Package(name="儿童", price=1999, includes_gown_selection=False)
    assert wedding.stage_kinds == ["order", "gown", "shoot", "selection", "pickup"]
    assert children.stage_kinds == ["order", "shoot", "selection", "pickup"]
