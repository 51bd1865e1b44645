"""The front desk's step maps (studio.workflow): rework and production items. Each user action,
the states it leaves, the state it reaches, the permission it needs and its form and serializer.

Rework (REWORK_TRANSITIONS): the front desk asks ("request", frontdesk.add_rework), the store
manager decides ("decide": approved or rejected by the input, frontdesk.approve_rework — the
store manager and the general manager only, and within the order's scope), the front desk marks
an approved rework done ("done", frontdesk.change_rework). The services check the whole step
(role, then state) through the map; its refusal is the model's own words.

Production items (PRODUCTION_TRANSITIONS): "add" creates one (frontdesk.add_productionitem);
"send" (again, after a failed check), "arrive", "qc" (passed or failed by the input) and
"pickup" move it (frontdesk.change_productionitem). The pickup SMS when every product of an
order has passed is a consequence of the check, not a step. The services check the role through
the map and leave the state to ProductionItem.move_to, whose refusal names the target; the map's
sources are the transition map's own (tests/frontdesk/test_step_map.py).

The forms live with their pages (flow_views, production_views) and are named by path, so this
module imports only the models.
"""
from django.utils.translation import gettext_lazy as _

from studio.workflow import CREATE, Step, StepMap

from .models import PRODUCTION_TRANSITIONS, REWORK_TRANSITIONS, ProductionStatus, ReworkStatus

R, P = ReworkStatus, ProductionStatus
_FLOW, _PRODUCTION, _SERIALIZERS = ("frontdesk.flow_views.", "frontdesk.production_views.",
                                    "frontdesk.serializers.")

REWORK_STEPS = StepMap(
    transitions=REWORK_TRANSITIONS, labels=dict(ReworkStatus.choices),
    refusal=_("返工已是「%(status)s」，不能再办理。"),
    steps=[
        Step("request", {CREATE}, R.REQUESTED, "frontdesk.add_rework", _("申请返工"),
             form=_FLOW + "ReworkRequestForm",
             serializer=_SERIALIZERS + "ReworkRequestInputSerializer"),
        # Approved or rejected, by the input (a rejection says why).
        Step("decide", {R.REQUESTED}, None, "frontdesk.approve_rework", _("店长审批"),
             form=_FLOW + "ReworkDecideForm",
             serializer=_SERIALIZERS + "ReworkDecideInputSerializer"),
        Step("done", {R.APPROVED}, R.DONE, "frontdesk.change_rework", _("登记返工完成")),
    ])

PRODUCTION_STEPS = StepMap(
    transitions=PRODUCTION_TRANSITIONS, labels=dict(ProductionStatus.choices),
    refusal=_("产品已是「%(status)s」，不能办理这一步。"),
    steps=[
        Step("add", {CREATE}, P.PENDING, "frontdesk.add_productionitem", _("添加制作产品"),
             form=_PRODUCTION + "ProductionAddForm",
             serializer=_SERIALIZERS + "ProductionItemAddInputSerializer"),
        Step("send", {P.PENDING, P.QC_FAILED}, P.SENT, "frontdesk.change_productionitem",
             _("送厂"), form=_PRODUCTION + "ProductionSendForm",
             serializer=_SERIALIZERS + "ProductionSendInputSerializer"),
        Step("arrive", {P.SENT}, P.ARRIVED, "frontdesk.change_productionitem", _("登记到店"),
             form=_PRODUCTION + "ProductionArriveForm"),
        # Passed or failed, by the input (a failed product is sent again).
        Step("qc", {P.ARRIVED}, None, "frontdesk.change_productionitem", _("登记质检"),
             form=_PRODUCTION + "ProductionQcForm",
             serializer=_SERIALIZERS + "ProductionQcInputSerializer"),
        Step("pickup", {P.QC_PASSED}, P.PICKED_UP, "frontdesk.change_productionitem",
             _("登记取件"), form=_PRODUCTION + "ProductionPickupForm",
             serializer=_SERIALIZERS + "ProductionPickupInputSerializer"),
    ])

# The steps of an existing product, one URL each (the page's form posts its "action").
PRODUCTION_ITEM_STEPS = [step for step in PRODUCTION_STEPS if not step.creates]
