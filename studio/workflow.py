"""Step maps: one per workflow, for each user action the states it leaves, the state it
reaches, the permission it needs and its input (a form for the pages, a serializer for the API).

Why: the transition map in an app's models.py says which moves exist; the step map says which
action makes which move, who may make it and with what input. Before, the same facts were
repeated in the views (a dict of permissions and forms), in every API class and in the
services, and each page worked out "what can be done next" by hand. Now there is one table per
workflow, in the app's `workflow.py`, and everything reads it:

- services call ``STEPS.check(action, state=obj.status, user=by)`` under the row lock, before
  the model verb: PermissionDenied for the wrong role (403 in the API and the pages), then
  TransitionNotAllowed for the wrong state (409 in the API, a message on the page). The service
  is the guard; views and API ask first only to answer sooner.
- pages: ``STEPS[name]`` for the step in the URL (KeyError → 404), ``step.form_class`` for its
  form, ``STEPS.available(state=..., user=request.user)`` for the next actions to offer.
- API: ``required_perm = STEPS["judge"].permission``, ``request=STEPS["judge"].serializer_class``.
- tests: call every service as every role, and compare the map with the transition map.

A step map may narrow the transition map (which action takes which edge), never widen it: the
map refuses at import a step whose move the transition map does not have. Sweeps that move many
rows at once (overdue, escalation, expiry) are not user actions and stay out of the map.

Use (orders, frontdesk... follow the same shape)::

    # app/workflow.py
    from studio.workflow import CREATE, Step, StepMap
    from .models import REWORK_TRANSITIONS, ReworkStatus

    REWORK_STEPS = StepMap(
        transitions=REWORK_TRANSITIONS, labels=dict(ReworkStatus.choices),
        refusal=_("返工已是「%(status)s」，不能再办理。"),
        steps=[
            Step("request", {CREATE}, ReworkStatus.REQUESTED, "frontdesk.add_rework", _("申请"),
                 form="frontdesk.forms.ReworkForm",
                 serializer="frontdesk.serializers.ReworkInputSerializer"),
            Step("approve", {ReworkStatus.REQUESTED}, ReworkStatus.APPROVED,
                 "frontdesk.approve_rework", _("批准")),
        ])

    # app/services.py
    rework = Rework.objects.select_for_update().get(pk=rework.pk)
    REWORK_STEPS.check("approve", state=rework.status, user=by)
    rework.approve(...)

Forms and serializers are named by dotted path (or given as classes) and imported on first use,
so workflow.py imports only the app's models and no app imports it back in a circle.
"""
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .errors import TransitionNotAllowed

# The "state" of an object that does not exist yet: a step whose only source is CREATE creates
# one (registering a complaint, issuing a card); beside other sources it means "also when there
# is none" (adjusting the points of a member who holds no card).
CREATE = None


@cache
def _import(path: str) -> Any:
    return import_string(path)


def _resolve(ref: type | str | None) -> Any:
    return _import(ref) if isinstance(ref, str) else ref


def _value(state: str | None) -> str | None:
    return None if state is None else str(state)


@dataclass(frozen=True)
class Step:
    """One user action of a workflow. `target` is None when the action stays in its state or
    its outcome depends on the input (a judgement: valid or not); `permission` None means
    anyone who may see the object may take it."""

    action: str
    sources: frozenset[str | None]
    target: str | None
    permission: str | None
    label: Any  # a (lazy) translated string
    form: type | str | None = None
    serializer: type | str | None = None

    def __post_init__(self) -> None:
        # TextChoices members are str subclasses: keep plain values, for clean keys and reprs.
        object.__setattr__(self, "action", str(self.action))
        object.__setattr__(self, "sources", frozenset(_value(s) for s in self.sources))
        object.__setattr__(self, "target", _value(self.target))

    @property
    def creates(self) -> bool:
        """It starts from nothing (only CREATE): registering, issuing — pages of their own."""
        return self.sources == {CREATE}

    @property
    def form_class(self) -> Any:
        return _resolve(self.form)

    @property
    def serializer_class(self) -> Any:
        return _resolve(self.serializer)

    def permits(self, user) -> bool:
        """May `user` take this step? None is the system (a sweep, the public form): yes."""
        return user is None or self.permission is None or user.has_perm(self.permission)


class StepMap:
    """The steps of one workflow, checked against its transition map when built."""

    def __init__(self, *, steps: Iterable[Step], transitions: Mapping[str, Collection[str]],
                 labels: Mapping[str, Any], refusal: str,
                 code: str = "transition_not_allowed") -> None:
        self._steps: dict[str, Step] = {}
        self._labels = labels
        self._refusal, self._code = refusal, code
        for step in steps:
            if step.action in self._steps:
                raise ImproperlyConfigured(f"step {step.action!r} is defined twice")
            _check_against(step, transitions)
            self._steps[step.action] = step

    def __getitem__(self, action: str) -> Step:
        return self._steps[action]  # an unknown action: KeyError, a 404 for the views

    step = __getitem__

    def __contains__(self, action: object) -> bool:
        return action in self._steps

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps.values())

    def __len__(self) -> int:
        return len(self._steps)

    def leaving(self, state: str | None) -> list[Step]:
        """The steps the state allows, whoever asks (in the map's order)."""
        return [step for step in self if state in step.sources]

    def available(self, *, state: str | None, user) -> list[Step]:
        """The steps a page should offer `user` now: the state allows them and so does the role."""
        return [step for step in self.leaving(state) if step.permits(user)]

    def allowed(self, action: str, *, state: str | None, user) -> bool:
        step = self[action]
        return state in step.sources and step.permits(user)

    def check_permission(self, action: str, *, user) -> Step:
        """PermissionDenied unless `user` may take the step in some state (for bulk services
        that pick their rows by `step.sources`)."""
        step = self[action]
        if not step.permits(user):
            raise PermissionDenied(_("您没有这项操作的权限。"))
        return step

    def check(self, action: str, *, state: str | None, user) -> Step:
        """The step, or PermissionDenied for the wrong role, then TransitionNotAllowed for the
        wrong state: the role first, so a refusal does not tell an outsider the state."""
        step = self.check_permission(action, user=user)
        if state not in step.sources:
            label = "" if state is None else self._labels.get(state, state)
            raise TransitionNotAllowed(str(self._refusal) % {"status": label}, code=self._code)
        return step


def _check_against(step: Step, transitions: Mapping[str, Collection[str]]) -> None:
    """A step may only take moves the transition map has (it narrows it, never widens it)."""
    states = {str(s) for s in transitions}
    if step.target is not None and step.target not in states:
        raise ImproperlyConfigured(f"step {step.action!r}: unknown target {step.target!r}")
    for source in step.sources - {CREATE}:
        if source not in states:
            raise ImproperlyConfigured(f"step {step.action!r}: unknown source {source!r}")
        if step.target is not None and step.target not in {str(t) for t in transitions[source]}:
            raise ImproperlyConfigured(
                f"step {step.action!r}: {source!r} → {step.target!r} is not in the transition map")
