"""Forms for taking payments and recording stages; the services decide, the forms report."""
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from staff.models import User
from studio.forms import LocalDateTimeInput, ServiceFormMixin

from .models import Order, PaymentKind, PaymentMethod, StageKind
from .services import payment_record, stage_complete, stage_schedule


class PaymentForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("款项"), choices=PaymentKind.choices)
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=12, decimal_places=2,
                                min_value=0.01)
    method = forms.ChoiceField(label=_("支付方式"), choices=PaymentMethod.choices)
    note = forms.CharField(label=_("备注"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("备注"),
                                                         "aria-label": _("备注")}))
    # Filled by the page with a fresh key per form: a double click records the payment once.
    request_key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def save(self, *, order: Order, by: User):
        return self.call(payment_record, order=order, received_by=by, **self.cleaned_data)


class StageScheduleForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("阶段"), choices=StageKind.choices)
    scheduled_at = forms.DateTimeField(label=_("预约时间"),
                                       widget=LocalDateTimeInput())
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def save(self, *, order: Order, by: User):
        data = self.cleaned_data
        return self.call(stage_schedule, order=order, kind=data["kind"], at=data["scheduled_at"],
                         by=by, note=data["note"], now=timezone.now())


class StageCompleteForm(ServiceFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("阶段"), choices=StageKind.choices)
    location = forms.CharField(label=_("外景点"), max_length=100, required=False)
    extra_amount = forms.DecimalField(label=_("加选/选片消费（元）"), max_digits=12,
                                      decimal_places=2, min_value=0, required=False)
    extra_note = forms.CharField(label=_("加选内容"), max_length=200, required=False)
    picked_up_by = forms.CharField(label=_("取件人"), max_length=64, required=False)
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}),
                            required=False)

    def save(self, *, order: Order, by: User):
        data = self.cleaned_data
        return self.call(stage_complete, order=order, kind=data["kind"], by=by,
                         location=data["location"] or None, extra_amount=data["extra_amount"],
                         extra_note=data["extra_note"], picked_up_by=data["picked_up_by"],
                         notes=data["notes"])
