"""The step-map kernel (studio.workflow), on a made-up workflow: no database, no app."""
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from studio.errors import TransitionNotAllowed
from studio.workflow import CREATE, Step, StepMap

TRANSITIONS = {"open": {"open", "done"}, "done": set()}


def _map(*steps: Step, **kwargs) -> StepMap:
    return StepMap(transitions=TRANSITIONS, labels={"open": "进行中", "done": "已完成"},
                   refusal="已是「%(status)s」。", steps=steps, **kwargs)


STEPS = _map(
    Step("create", {CREATE}, "open", "app.add_thing", "新建"),
    Step("finish", {"open"}, "done", "app.finish_thing", "完成", form="django.forms.Form"),
    Step("note", {"open", "done"}, None, None, "备注"),
)


def user(*perms: str):
    return SimpleNamespace(has_perm=lambda perm: perm in perms)


def test_check_answers_the_role_first_then_the_state():
    with pytest.raises(PermissionDenied):
        STEPS.check("finish", state="done", user=user())
    with pytest.raises(TransitionNotAllowed) as refused:
        STEPS.check("finish", state="done", user=user("app.finish_thing"))
    assert refused.value.message == "已是「已完成」。"
    assert refused.value.code == "transition_not_allowed"
    assert STEPS.check("finish", state="open", user=user("app.finish_thing")).target == "done"


def test_the_system_and_a_step_without_permission_are_allowed():
    assert STEPS.allowed("finish", state="open", user=None)
    assert STEPS.allowed("note", state="done", user=user())
    assert not STEPS.allowed("finish", state="open", user=user())


def test_available_is_the_states_steps_the_user_may_take_in_order():
    assert [s.action for s in STEPS.available(state="open", user=user())] == ["note"]
    assert [s.action for s in STEPS.available(state="open", user=None)] == ["finish", "note"]
    assert [s.action for s in STEPS.available(state=CREATE, user=user("app.add_thing"))] == [
        "create"]


def test_an_unknown_action_is_a_key_error():
    with pytest.raises(KeyError):
        STEPS["fly"]
    assert "fly" not in STEPS and "note" in STEPS and len(STEPS) == 3


def test_forms_are_imported_on_first_use():
    from django import forms

    assert STEPS["finish"].form_class is forms.Form and STEPS["note"].form_class is None


def test_a_map_may_carry_its_own_refusal_code():
    steps = _map(Step("finish", {"open"}, "done", None, "完成"), code="thing_closed")
    with pytest.raises(TransitionNotAllowed) as refused:
        steps.check("finish", state="done", user=None)
    assert refused.value.code == "thing_closed"


@pytest.mark.parametrize("step", [
    Step("reopen", {"done"}, "open", None, "重开"),  # done → open is not in the map
    Step("finish", {"open"}, "lost", None, "完成"),  # no such state
    Step("finish", {"nowhere"}, "done", None, "完成"),
])
def test_a_step_the_transition_map_does_not_have_is_refused_at_import(step):
    with pytest.raises(ImproperlyConfigured):
        _map(step)


def test_an_action_is_defined_once():
    with pytest.raises(ImproperlyConfigured):
        _map(Step("note", {"open"}, None, None, "a"), Step("note", {"open"}, None, None, "b"))
