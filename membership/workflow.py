"""The member's step map (studio.workflow): the card's steps and the points actions of the
member's page, who may take them and with what input.

The state is the card's status: a card's own for reporting it lost or revoking it, and on the
member's page the member's active card, or CREATE when they hold none (a card can be issued).
Points are spent only on a valid card and adjusted by a supervisor with or without one. Two
refusals stay bad input on a field (400), as they always were: a second active card (on the
number) and points redeemed without a valid card (on the points); the services check the role
through the map and keep those rules. Expiry is a sweep (member_cards_expire), not a step.
"""
from django.utils.translation import gettext_lazy as _

from studio.workflow import CREATE, Step, StepMap

from .models import CARD_TRANSITIONS, CardStatus

ACTIVE = CardStatus.ACTIVE
_FORMS, _SERIALIZERS = "membership.forms.", "membership.serializers."

MEMBER_STEPS = StepMap(
    transitions=CARD_TRANSITIONS, labels=dict(CardStatus.choices),
    refusal=_("会员卡已是「%(status)s」，不能再办理。"),
    steps=[
        Step("issue", {CREATE}, ACTIVE, "membership.add_membercard", _("发卡"),
             form=_FORMS + "IssueCardForm",
             serializer=_SERIALIZERS + "MemberCardIssueInputSerializer"),
        Step("redeem", {ACTIVE}, None, "membership.redeem_points", _("积分兑换"),
             form=_FORMS + "RedeemForm", serializer=_SERIALIZERS + "PointsRedeemInputSerializer"),
        Step("adjust", {ACTIVE, CREATE}, None, "membership.adjust_points", _("积分调整"),
             form=_FORMS + "AdjustForm", serializer=_SERIALIZERS + "PointsAdjustInputSerializer"),
        # The lost card ends; a new card (a new number) carries the account on.
        Step("lost", {ACTIVE}, CardStatus.LOST, "membership.change_membercard", _("挂失补办"),
             form=_FORMS + "ReportLostForm",
             serializer=_SERIALIZERS + "MemberCardReportLostInputSerializer"),
        Step("revoke", {ACTIVE}, CardStatus.REVOKED, "membership.change_membercard",
             _("收回会员卡"), form=_FORMS + "RevokeForm",
             serializer=_SERIALIZERS + "MemberCardRevokeInputSerializer"),
    ])
