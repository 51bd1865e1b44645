"""The callback task's step map (studio.workflow): what staff do to an open task, who may, and
with what input.

Recording a call is one step whose outcome depends on the answer (done; booked or retried,
still pending; unreachable after the last attempt), so its target is None. Assigning and the
call page's SMS leave the state as it is. The overdue mark and the cancelling of a walk-out's
calls are sweeps (callbacks_mark_overdue, walkouts_cancel_closed_followups), not steps.
"""
from django.utils.translation import gettext_lazy as _

from studio.workflow import Step, StepMap

from .models import CALLBACK_TRANSITIONS, OPEN_STATUSES, CallbackStatus

CALLBACK_STEPS = StepMap(
    transitions=CALLBACK_TRANSITIONS, labels=dict(CallbackStatus.choices),
    refusal=_("回访任务已是「%(status)s」，不能再办理。"), code="callback_closed",
    steps=[
        Step("record", OPEN_STATUSES, None, "callbacks.add_callbackrecord", _("回访记录"),
             form="callbacks.forms.CallbackRecordForm",
             serializer="callbacks.serializers.CallbackRecordInputSerializer"),
        Step("send_sms", OPEN_STATUSES, None, "callbacks.add_callbackrecord", _("短信")),
        Step("assign", OPEN_STATUSES, None, "callbacks.distribute_callbacktask", _("分配回访任务")),
    ])
