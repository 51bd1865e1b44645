"""Forms of the member pages; the services decide, the forms report (ServiceFormMixin)."""
import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import StageKind
from studio.forms import CheckInput, ServiceFormMixin

from .models import CardStatus, MemberAccount, MemberTier
from .services import (
    member_card_issue,
    member_card_report_lost,
    member_card_revoke,
    points_adjust,
    points_redeem,
)

NO_ACTIVE_CARD = "none"


class DateInput(forms.DateInput):
    """The browser's date picker: it reads only ISO values, whatever the UI language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名/手机号"), required=False, max_length=64,
                        widget=forms.TextInput(attrs={"placeholder": _("姓名或手机号（可输后 4 位）")}))
    tier = forms.ModelChoiceField(label=_("等级"), queryset=MemberTier.objects.all(),
                                  required=False, empty_label=_("全部等级"))
    # The member's current card: a lost card is replaced at once, so it is never the current one.
    card = forms.ChoiceField(label=_("会员卡"), required=False, choices=[
        ("", _("全部")), *[c for c in CardStatus.choices if c[0] != CardStatus.LOST],
        (NO_ACTIVE_CARD, _("无有效卡"))])


class IssueCardForm(ServiceFormMixin, forms.Form):
    number = forms.CharField(label=_("卡号"), max_length=20)
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=DateInput(),
                                 help_text=_("不填为长期有效"))

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on and expires_on < timezone.localdate():
            raise forms.ValidationError(_("有效期不能早于今天。"))
        return expires_on

    def save(self, *, customer, by):
        return self.call(member_card_issue, customer=customer, by=by,
                         number=self.cleaned_data["number"],
                         expires_on=self.cleaned_data["expires_on"])


class RedeemForm(ServiceFormMixin, forms.Form):
    points = forms.IntegerField(label=_("兑换积分"), min_value=1, max_value=10_000_000)
    note = forms.CharField(label=_("兑换内容"), max_length=200,
                           widget=forms.TextInput(attrs={"placeholder": _("如：相框一个、升级套系")}))
    # A fresh key per page (callable initial): a double click or the browser sending the form
    # again redeems once (points_redeem's request_key, as the payment form's).
    request_key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput,
                                  initial=lambda: uuid.uuid4().hex)

    def save(self, *, account: MemberAccount, by):
        data = {**self.cleaned_data, "request_key": self.cleaned_data["request_key"] or None}
        return self.call(points_redeem, account=account, by=by, **data)


class AdjustForm(ServiceFormMixin, forms.Form):
    points = forms.IntegerField(label=_("调整积分（可为负数）"), min_value=-10_000_000,
                                max_value=10_000_000)
    reason = forms.CharField(label=_("调整原因"), max_length=200)

    def save(self, *, account: MemberAccount, by):
        return self.call(points_adjust, account=account, by=by, **self.cleaned_data)


class ReportLostForm(ServiceFormMixin, forms.Form):
    # Named as the service names it, so a refused number shows on this field.
    number = forms.CharField(label=_("新卡号"), max_length=20)
    reason = forms.CharField(label=_("说明"), max_length=200, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("客户挂失")}))

    def save(self, *, card, by):
        return self.call(member_card_report_lost, card=card, by=by,
                         new_number=self.cleaned_data["number"], reason=self.cleaned_data["reason"])


class RevokeForm(ServiceFormMixin, forms.Form):
    reason = forms.CharField(label=_("收回原因"), max_length=200)

    def save(self, *, card, by):
        return self.call(member_card_revoke, card=card, by=by, reason=self.cleaned_data["reason"])


MONTHS = [("", "-"), *[(str(m), _("%(m)d 月") % {"m": m}) for m in range(1, 13)]]


class SegmentForm(ServiceFormMixin, forms.Form):
    """A segment's name and its conditions (membership.selectors.SEGMENT_CONDITIONS)."""

    name = forms.CharField(label=_("分组名称"), max_length=100)
    vip_only = forms.BooleanField(label=_("只选 VIP 会员（持有效卡）"), required=False,
                                  widget=CheckInput)
    tier = forms.ModelChoiceField(label=_("会员等级"), queryset=MemberTier.objects.all(),
                                  required=False, empty_label=_("不限"))
    min_spend = forms.DecimalField(label=_("累计消费不少于（元）"), required=False, min_value=0,
                                   max_digits=12, decimal_places=2)
    min_orders = forms.IntegerField(label=_("订单数不少于"), required=False, min_value=1,
                                    max_value=1000)
    active_within_days = forms.IntegerField(label=_("最近多少天内有订单"), required=False,
                                            min_value=1, max_value=3650)
    idle_days = forms.IntegerField(label=_("多少天没有新订单"), required=False, min_value=1,
                                   max_value=3650)
    stage = forms.ChoiceField(label=_("订单当前阶段"), required=False,
                              choices=[("", _("不限")), *StageKind.choices])
    wedding_month = forms.TypedChoiceField(label=_("婚期月份"), required=False, choices=MONTHS,
                                           coerce=int, empty_value=None)
    birthday_month = forms.TypedChoiceField(label=_("宝宝生日月份"), required=False, choices=MONTHS,
                                            coerce=int, empty_value=None)

    CONDITION_FIELDS = ["vip_only", "tier", "min_spend", "min_orders", "active_within_days",
                        "idle_days", "stage", "wedding_month", "birthday_month"]

    def clean(self):
        data = super().clean()
        within, idle = data.get("active_within_days"), data.get("idle_days")
        if within and idle and within <= idle:
            self.add_error("idle_days", _("「最近 %(a)d 天内有订单」与「%(b)d 天没有新订单」不能同时成立。")
                           % {"a": within, "b": idle})
        return data

    def conditions(self) -> dict:
        """The conditions as stored in Segment.conditions (JSON: ids and strings)."""
        out = {}
        for key in self.CONDITION_FIELDS:
            value = self.cleaned_data.get(key)
            if value in (None, False, ""):
                continue
            if isinstance(value, MemberTier):
                value = value.pk
            elif isinstance(value, Decimal):
                value = str(value)
            out[key] = value
        return out

    @classmethod
    def initial_from(cls, name: str, conditions: dict) -> dict:
        return {"name": name, **{k: v for k, v in conditions.items() if k in cls.CONDITION_FIELDS}}
