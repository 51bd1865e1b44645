"""Forms of the call page, scripts and campaigns; the services decide, the forms report."""
from django import forms
from django.utils.translation import gettext_lazy as _

from membership.models import Segment
from studio.forms import LocalDateTimeInput, RadioInput, ServiceFormMixin

from .models import CallbackPurpose, CallbackScript, Channel, Satisfaction

SCRIPT_FIELDS = ["opening", "question", "satisfied_followup", "unsatisfied_followup",
                 "satisfied_closing", "unsatisfied_closing"]


class CallbackRecordForm(ServiceFormMixin, forms.Form):
    channel = forms.ChoiceField(label=_("回访方式"), choices=Channel.choices, initial=Channel.PHONE)
    reached = forms.TypedChoiceField(label=_("是否接通"), coerce=lambda v: v == "yes",
                                     choices=[("yes", _("已接通")), ("no", _("未接通"))],
                                     widget=RadioInput, initial="yes")
    satisfaction = forms.ChoiceField(label=_("满意度"), required=False,
                                     choices=[("", _("未回答")), *Satisfaction.choices])
    score = forms.TypedChoiceField(label=_("评分"), required=False, coerce=int, empty_value=None,
                                   choices=[("", "-"), *[(str(i), str(i)) for i in range(5, 0, -1)]])
    comments = forms.CharField(label=_("客户评价"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    suggestions = forms.CharField(label=_("意见建议"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    next_appointment_at = forms.DateTimeField(
        label=_("下次约定时间"), required=False,
        widget=LocalDateTimeInput(),
        help_text=_("客户不方便时，与客户再约一个方便的时间"))
    wants_complaint = forms.BooleanField(
        label=_("转投诉"), required=False,
        help_text=_("「不满意」一律转投诉；「一般」由您判断。保存后直接打开投诉登记表"))


class ScriptForm(forms.ModelForm):
    class Meta:
        model = CallbackScript
        fields = SCRIPT_FIELDS
        widgets = {f: forms.Textarea(attrs={"rows": 2}) for f in SCRIPT_FIELDS}


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("活动名称"), max_length=100)
    segment = forms.ModelChoiceField(label=_("客户分组"), queryset=Segment.objects.none(),
                                     required=False, empty_label=_("不用分组，按下列条件"),
                                     help_text=_("选择已保存的客户分组时，下列条件不再使用"))
    purpose = forms.ChoiceField(label=_("回访用途"), choices=[
        c for c in CallbackPurpose.choices if c[0] not in ("post_service", "complaint")])
    vip_only = forms.BooleanField(label=_("只选 VIP 会员"), required=False)
    min_spend = forms.DecimalField(label=_("累计消费不少于（元）"), required=False, min_value=0)
    idle_days = forms.IntegerField(label=_("多少天内没有新订单"), required=False, min_value=1,
                                   max_value=3650)
    wedding_month = forms.IntegerField(label=_("婚期月份"), required=False, min_value=1,
                                       max_value=12)
    birthday_month = forms.IntegerField(label=_("宝宝生日月份"), required=False, min_value=1,
                                        max_value=12)

    def __init__(self, *args, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        if store is not None:
            self.fields["segment"].queryset = Segment.objects.filter(store=store)

    def conditions(self) -> dict:
        if self.cleaned_data.get("segment"):
            return dict(self.cleaned_data["segment"].conditions)
        keys = ["vip_only", "min_spend", "idle_days", "wedding_month", "birthday_month"]
        return {k: (str(v) if k == "min_spend" else v) for k in keys
                if (v := self.cleaned_data.get(k)) not in (None, False, "")}
