"""The store's message templates and the opt-out list, as forms."""
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from studio.forms import ServiceFormMixin

from .services import wechat_fields_parse

# The customers app keeps the one mobile rule; messaging sits below it and repeats the pattern.
mobile_validator = RegexValidator(r"^1[3-9]\d{9}$", _("请输入 11 位手机号。"))


class TemplateForm(ServiceFormMixin, forms.Form):
    code = forms.CharField(label=_("模板编号"), max_length=64,
                           help_text=_("网关控制台（阿里云 SMS_开头 / 腾讯云 数字）或微信后台的模板 ID。"))
    text = forms.CharField(label=_("模板内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("与网关审核通过的内容一致，参数写作 ${customer}。"))
    fields_text = forms.CharField(
        label=_("微信模板字段"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一个：字段名=内容，例如 thing1=${customer}；每个字段最多 20 字。"))
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["fields_text" if channel == "sms" else "text"]

    def clean_fields_text(self) -> dict:
        try:
            return wechat_fields_parse(self.cleaned_data.get("fields_text", ""))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["fields"]) from None


class OptOutForm(ServiceFormMixin, forms.Form):
    mobile = forms.CharField(label=_("手机号"), max_length=11, validators=[mobile_validator])
    text = forms.CharField(label=_("说明"), max_length=70, required=False,
                           help_text=_("例如：电话中要求不再发送营销短信。"))
