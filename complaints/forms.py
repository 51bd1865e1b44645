"""Forms for each step of a complaint and for the public complaint page."""
from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Title
from customers.validators import validate_mobile
from staff.models import Department, Store, User
from studio.forms import CheckInput, LocalDateTimeInput, RadioInput, ServiceFormMixin

from .models import ComplaintCategory, ComplaintChannel, Severity, SolutionKind

YES_NO = [("yes", _("成立")), ("no", _("不成立"))]


class RegisterForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("投诉人姓名"), max_length=64, required=False)
    title = forms.ChoiceField(label=_("称呼"), choices=Title.choices, initial=Title.MS,
                              required=False)
    mobile = forms.CharField(label=_("手机号"), max_length=11, required=False)
    channel = forms.ChoiceField(label=_("投诉渠道"), choices=ComplaintChannel.choices)
    category = forms.ChoiceField(label=_("投诉类别"), choices=ComplaintCategory.choices)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices,
                                 initial=Severity.LOW)
    content = forms.CharField(label=_("投诉内容"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))


class JudgeForm(ServiceFormMixin, forms.Form):
    valid = forms.TypedChoiceField(label=_("投诉是否成立"), choices=YES_NO,
                                   coerce=lambda v: v == "yes", widget=RadioInput)
    reason = forms.CharField(label=_("判定理由"), widget=forms.Textarea(attrs={"rows": 2}))
    department = forms.ModelChoiceField(label=_("责任部门"), queryset=Department.objects.none(),
                                        required=False)
    promised_at = forms.DateTimeField(label=_("告诉客户的调查完成时间"), required=False,
                                      widget=LocalDateTimeInput())
    explanation = forms.CharField(label=_("对客户的解释（不成立时）"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    customer_understood = forms.BooleanField(label=_("客户已谅解"), required=False,
                                             widget=CheckInput)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(store=store)
        self.fields["department"].label_from_instance = lambda d: d.name


def _store_staff(store: Store):
    return User.objects.filter(staff_profile__store=store, staff_profile__is_active=True
                               ).order_by("first_name", "username")


class InvestigateForm(ServiceFormMixin, forms.Form):
    cause = forms.CharField(label=_("投诉原因"), widget=forms.Textarea(attrs={"rows": 2}))
    responsible_staff = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none(),
                                               required=False)
    handled_by = forms.ModelChoiceField(label=_("处理人"), queryset=User.objects.none(),
                                        required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("responsible_staff", "handled_by"):
            self.fields[name].queryset = _store_staff(store)
            self.fields[name].label_from_instance = lambda u: u.display_name


class ProposeForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("方案类型"), choices=SolutionKind.choices)
    description = forms.CharField(label=_("方案内容"), widget=forms.Textarea(attrs={"rows": 2}))
    cost = forms.DecimalField(label=_("成本（元）"), min_value=0, max_digits=10, decimal_places=2,
                              initial=0)


class ApproveForm(ServiceFormMixin, forms.Form):
    solution = forms.ModelChoiceField(label=_("选择最佳方案"), queryset=None,
                                      widget=RadioInput)
    comment = forms.CharField(label=_("审批意见"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["solution"].queryset = complaint.solutions.all()


class RefuseForm(ServiceFormMixin, forms.Form):
    """The customer does not accept the approved solution: what they said."""
    feedback = forms.CharField(label=_("客户的意见"), widget=forms.Textarea(attrs={"rows": 2}))


class ImplementForm(ServiceFormMixin, forms.Form):
    accepted = forms.BooleanField(label=_("客户已接受处理方案"), required=False, widget=CheckInput)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    feedback = forms.CharField(label=_("客户反馈"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    penalty_staff = forms.ModelChoiceField(label=_("受罚人"), queryset=User.objects.none(),
                                           required=False)
    penalty_amount = forms.DecimalField(label=_("罚款（元）"), min_value=0, required=False)
    penalty_description = forms.CharField(label=_("处罚说明"), max_length=200, required=False)
    head_staff = forms.ModelChoiceField(label=_("部门主管"), queryset=User.objects.none(),
                                        required=False)
    head_amount = forms.DecimalField(label=_("主管罚款（元）"), min_value=0, required=False)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("penalty_staff", "head_staff"):
            self.fields[name].queryset = _store_staff(store)
            self.fields[name].label_from_instance = lambda u: u.display_name

    def penalties(self) -> list[dict]:
        data, result = self.cleaned_data, []
        if data.get("penalty_staff"):
            result.append({"staff": data["penalty_staff"], "amount": data.get("penalty_amount") or 0,
                           "description": data.get("penalty_description") or str(_("投诉责任人")),
                           "is_department_head": False})
        if data.get("head_staff"):
            result.append({"staff": data["head_staff"], "amount": data.get("head_amount") or 0,
                           "description": str(_("部门主管连带责任")), "is_department_head": True})
        return result


class PublicComplaintForm(forms.Form):
    """The customer's own page （L50 为顾客投诉提供便利的渠道）: small, plain-text, rate-limited."""

    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.filter(is_active=True),
                                   empty_label=None)
    name = forms.CharField(label=_("您的姓名"), max_length=32)
    title = forms.ChoiceField(label=_("称呼"), choices=Title.choices, initial=Title.MS,
                              required=False)
    mobile = forms.CharField(label=_("手机号"), max_length=11, validators=[validate_mobile])
    category = forms.ChoiceField(label=_("投诉类别"), choices=ComplaintCategory.choices)
    content = forms.CharField(label=_("投诉内容"), max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 5}))
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={
        "autocomplete": "off", "tabindex": "-1"}))  # a honeypot: people leave it empty
