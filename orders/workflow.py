"""The stage workflow's step map (studio.workflow), and the order's own two actions.

Stages. STAGE_TRANSITIONS (models.py) has three moves out of an open stage: booked
(pending → scheduled), moved (scheduled → scheduled) and done (pending or scheduled → done).
Two user actions make them: "schedule" books or moves a stage's time (the customer page, the
API, and the front desk's bookings through frontdesk.schedule), "complete" records it done (the
customer page, the API, a flow card completing the shoot, the gown pick). Both need
orders.record_stage, which every role holds but the cashier. No sweep moves a stage.

The stage services check the role through the map; the state is refused by the model's verb
(OrderStage.schedule / complete), whose message names the stage: the map's sources are the
transition map's own (tests/orders/test_step_map.py), so the two cannot disagree.

The order. There is no transition map of OrderStatus: an order's status follows its stages
(the pickup done completes it, inside stage_complete) and cancelling is the one move a user
makes, so taking money and cancelling are not a StepMap but two Steps on their own, kept here
so that the pages, the API and the services read one permission: ORDER_PAYMENT (any order not
cancelled: a completed order still takes a late add-on or gives a refund) and ORDER_CANCEL.
"""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studio.workflow import CREATE, Step, StepMap

from .models import STAGE_TRANSITIONS, OrderStatus, StageStatus

S = StageStatus
OPEN = {S.PENDING, S.SCHEDULED}

STAGE_STEPS = StepMap(
    transitions=STAGE_TRANSITIONS, labels=dict(StageStatus.choices),
    refusal=gettext_lazy("该服务阶段已是「%(status)s」，不能再办理。"),
    steps=[
        Step("schedule", OPEN, S.SCHEDULED, "orders.record_stage", gettext_lazy("预约/改期"),
             form="orders.forms.StageScheduleForm",
             serializer="orders.serializers.StageScheduleInputSerializer"),
        Step("complete", OPEN, S.DONE, "orders.record_stage", gettext_lazy("登记完成"),
             form="orders.forms.StageCompleteForm",
             serializer="orders.serializers.StageCompleteInputSerializer"),
    ])

ORDER_CREATE = Step("create", {CREATE}, OrderStatus.ACTIVE, "orders.add_order", gettext_lazy("开单"))
ORDER_APPROVE = Step("approve", {OrderStatus.PENDING_APPROVAL}, OrderStatus.ACTIVE,
                     "orders.approve_discount", gettext_lazy("审批优惠"))
ORDER_CHANGE = Step("change", {OrderStatus.PENDING_APPROVAL, OrderStatus.ACTIVE}, None,
                    "orders.change_order", gettext_lazy("修改订单"))
ORDER_PAYMENT = Step("pay", {OrderStatus.PENDING_APPROVAL, OrderStatus.ACTIVE,
                            OrderStatus.COMPLETED}, None,
                     "orders.take_payment", gettext_lazy("收款/退款"),
                     form="orders.forms.PaymentForm",
                     serializer="orders.serializers.PaymentInputSerializer")
ORDER_CANCEL = Step("cancel", {OrderStatus.PENDING_APPROVAL, OrderStatus.ACTIVE},
                    OrderStatus.CANCELLED, "orders.change_order", gettext_lazy("取消订单"))
ORDER_STEPS = (ORDER_CREATE, ORDER_APPROVE, ORDER_CHANGE, ORDER_PAYMENT, ORDER_CANCEL)


def order_step_check(step: Step, *, user) -> Step:
    """PermissionDenied unless `user` (None: the system) may take the order's step, as
    StepMap.check_permission does for a map's steps."""
    if not step.permits(user):
        raise PermissionDenied(_("您没有这项操作的权限。"))
    return step
