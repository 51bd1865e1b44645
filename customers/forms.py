"""Forms of the customer pages; the services decide, the forms report."""
import json

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from staff.scoping import StoreField, scope_for, store_for
from studio.forms import DateInput, ServiceFormMixin

from .models import ContactTime, Customer, SourceChannel, Title
from .selectors import customer_referrer_candidates, customers_visible_to
from .services import (
    PROFILE_FIELDS,
    CustomerMobileTaken,
    customer_add_note,
    customer_register,
    customer_update,
    customers_merge,
)
from .validators import validate_mobile


class NoteForm(ServiceFormMixin, forms.Form):
    """A note on a customer's file (the customer page). An empty note is the service's refusal."""

    text = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={
        "rows": 2, "placeholder": _("记录沟通内容…")}))

    def save(self, *, customer, by):
        return self.call(customer_add_note, customer=customer, by=by, text=self.cleaned_data["text"])


class CustomerForm(ServiceFormMixin, forms.Form):
    """登记客户 (with `store` for a general manager and the form's one-time key) and 编辑客户资料
    (`customer` given). The referrer is found by mobile or name among the customers the user
    sees: one match is taken, several are offered as choices (the `referrer` radio buttons, also
    filled in place by htmx as the user types)."""

    name = forms.CharField(label=_("姓名"), max_length=64)
    title = forms.ChoiceField(label=_("称呼"), choices=Title.choices, initial=Title.MS)
    mobile = forms.CharField(label=_("手机号"), max_length=11, validators=[validate_mobile],
                             widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                           "autocomplete": "off"}))
    wechat = forms.CharField(label=_("微信号"), max_length=64, required=False)
    source = forms.ChoiceField(label=_("客户来源"), choices=SourceChannel.choices,
                               initial=SourceChannel.WALK_IN)
    referrer_q = forms.CharField(
        label=_("介绍人"), max_length=64, required=False,
        help_text=_("老客户转介绍时填写：介绍人的手机号（可输后 4 位）或姓名"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    referrer = forms.ModelChoiceField(label=_("选择介绍人"), queryset=Customer.objects.none(),
                                      required=False, widget=forms.HiddenInput)
    wedding_on = forms.DateField(label=_("婚期"), required=False, widget=DateInput())
    child_birthday_on = forms.DateField(label=_("宝宝生日"), required=False, widget=DateInput())
    preferred_contact_time = forms.ChoiceField(label=_("方便联系时间"), choices=ContactTime.choices,
                                               initial=ContactTime.ANY)
    notes = forms.CharField(label=_("备注"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    store = StoreField(label=_("门店"), empty_label=None)
    request_key = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, customer: Customer | None = None, **kwargs) -> None:
        self.user, self.customer = user, customer
        self.taken: Customer | None = None  # the store's customer with the mobile typed
        self.referrer_choices: list[Customer] = []
        if customer is not None:
            kwargs.setdefault("initial", {
                **{name: getattr(customer, name) for name in (
                    "name", "title", "mobile", "wechat", "source", "wedding_on",
                    "child_birthday_on", "preferred_contact_time", "notes")},
                "referrer_q": customer.referrer.name if customer.referrer_id else "",
                "referrer": customer.referrer_id})
        super().__init__(*args, **kwargs)
        visible = customers_visible_to(user)
        if customer is not None:
            visible = visible.exclude(pk=customer.pk)
            # The referrer on file stays as it is even outside the user's scope.
            visible = (visible | Customer.objects.filter(pk=customer.referrer_id)).distinct() \
                if customer.referrer_id else visible
        self.fields["referrer"].queryset = visible
        if customer is not None or not scope_for(user).all_stores:
            del self.fields["store"]  # a customer's store is fixed; one's own store: no choice
        else:
            self.fields["store"].bind(user, writing=True)
        if customer is not None:
            del self.fields["request_key"]
        if customer is not None and customer.referrer_id:
            self.referrer_choices = [customer.referrer]
        if customer is not None and not user.has_perm("customers.view_full_mobile"):
            # The full number is not theirs to see: a new one may be typed, blank keeps it.
            mobile = self.fields["mobile"]
            mobile.required, mobile.help_text = False, _("留空则不修改；如需更换，请输入新的手机号。")
            mobile.widget.attrs["placeholder"] = customer.masked_mobile
            self.initial["mobile"] = ""
        # As the user types, htmx fills the choices in place (customers.views.customer_referrers).
        self.fields["referrer_q"].widget.attrs.update({
            "hx-get": reverse("orders:customer_referrers"), "hx-trigger": "input changed delay:400ms",
            "hx-target": "#referrer-choices", "hx-swap": "innerHTML",
            **({"hx-vals": json.dumps({"customer": customer.pk})} if customer is not None else {})})

    def clean(self) -> dict:
        data = super().clean()
        text, chosen = data.get("referrer_q", "").strip(), data.get("referrer")
        data["referrer"] = None
        if "referrer" in self.errors:  # an id outside the user's scope: said where it was typed
            del self.errors["referrer"]
            self.add_error("referrer_q", _("请选择您能查看的客户作为介绍人。"))
            return data
        if not text:  # no text: no referrer (cleared)
            self.referrer_choices = []
            return data
        if chosen is not None and text in (chosen.name, chosen.mobile):
            data["referrer"] = chosen
            self.referrer_choices = [chosen]
            return data
        found = list(self.candidates(text))
        if chosen is not None and chosen.pk in {c.pk for c in found}:
            data["referrer"] = chosen  # picked among the matches of what was typed
            self.referrer_choices = found
            return data
        if self.customer is not None:
            found = [c for c in found if c.pk != self.customer.pk]
        if len(found) == 1:
            data["referrer"] = found[0]
            self.referrer_choices = found
        elif found:
            self.referrer_choices = found
            self.add_error("referrer_q", _("找到多位客户，请在下面选择介绍人。"))
        else:
            self.add_error("referrer_q", _("没有找到该介绍人：请输入您能查看的客户的手机号或姓名。"))
        return data

    def candidates(self, text: str):
        return customer_referrer_candidates(self.user, text)

    def profile(self) -> dict:
        fields = {name: self.cleaned_data.get(name) for name in PROFILE_FIELDS}
        if self.customer is not None and not fields["mobile"]:
            del fields["mobile"]  # left blank by someone who sees it masked: unchanged
        return fields

    def register(self, *, by, ip_address: str | None = None) -> Customer | None:
        """Register the customer; a mobile the store has is the mobile field's error, and
        `taken` names its customer."""
        store = self.cleaned_data.get("store") or store_for(by, None, writing=True)
        key = self.cleaned_data.get("request_key")

        def register(**kwargs) -> Customer:
            try:
                return customer_register(**kwargs)
            except CustomerMobileTaken as exc:
                self.taken = exc.customer
                raise ValidationError({"mobile": exc.message}) from None

        return self.call(register, store=store, by=by, ip_address=ip_address,
                         request_key=f"form:{by.pk}:{key}" if key else None, **self.profile())

    def update(self, *, by, ip_address: str | None = None) -> Customer | None:
        return self.call(customer_update, customer=self.customer, by=by, ip_address=ip_address,
                         **self.profile())


class MergeForm(ServiceFormMixin, forms.Form):
    """合并重复客户: the other record (`merged`), of the same store and in the user's scope."""

    merged = forms.ModelChoiceField(label=_("要合并掉的记录"), queryset=Customer.objects.none(),
                                    widget=forms.HiddenInput)

    def __init__(self, *args, user, kept: Customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kept = kept
        self.fields["merged"].queryset = customers_visible_to(user).filter(
            store_id=kept.store_id).exclude(pk=kept.pk)

    def save(self, *, by, ip_address: str | None = None) -> Customer | None:
        return self.call(customers_merge, kept=self.kept, merged=self.cleaned_data["merged"],
                         by=by, ip_address=ip_address)
