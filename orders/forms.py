"""Forms of the sale (开单, change, cancel, approval), payments and stages; the services
decide, the forms report."""
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from staff.models import Store, User
from studio.forms import DateInput, LocalDateTimeInput, ServiceFormMixin, confirm_field

from .models import Order, Package, PaymentKind, PaymentMethod, StageKind
from .services import (
    order_approve,
    order_cancel,
    order_change,
    order_create,
    payment_record,
    stage_complete,
    stage_schedule,
)

ADDON_ROWS = 3  # add-on lines on the sale and change forms


def packages_sold_in(store: Store, *, keep: Package | None = None) -> QuerySet[Package]:
    """The packages a store sells: its own and the chain's, in sale (plus `keep`, the order's
    current package, so a change form shows it even after it stopped selling)."""
    sold = Q(is_active=True) & (Q(store__isnull=True) | Q(store=store))
    if keep is not None:
        sold |= Q(pk=keep.pk)
    return Package.objects.filter(sold).order_by("kind", "price", "name")


class PackageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, package: Package) -> str:
        return f"{package.get_kind_display()} · {package.name} · ¥{package.price:,.0f}"


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        return user.display_name


class _SaleFields(ServiceFormMixin, forms.Form):
    """What the sale and a change share: the package, price, people, dates and add-ons."""

    def _bind_store(self, store: Store, *, keep: Package | None = None) -> None:
        self.fields["package"].queryset = packages_sold_in(store, keep=keep)
        self.fields["consultant"].queryset = (
            User.objects.filter(staff_profile__store=store, staff_profile__is_active=True)
            .order_by("first_name", "username"))
        for i in range(1, ADDON_ROWS + 1):
            self.fields[f"addon_name_{i}"] = forms.CharField(
                label=_("加购项目 %(n)d") % {"n": i}, max_length=100, required=False)
            self.fields[f"addon_amount_{i}"] = forms.DecimalField(
                label=_("金额（元）"), max_digits=10, decimal_places=2, min_value=0.01,
                required=False)

    def addon_rows(self) -> list[tuple]:
        return [(self[f"addon_name_{i}"], self[f"addon_amount_{i}"])
                for i in range(1, ADDON_ROWS + 1)]

    def clean(self):
        data = super().clean()
        addons = []
        for i in range(1, ADDON_ROWS + 1):
            name, amount = data.get(f"addon_name_{i}"), data.get(f"addon_amount_{i}")
            if name and amount is None:
                self.add_error(f"addon_amount_{i}", _("请填写加购金额。"))
            elif amount is not None and not name:
                self.add_error(f"addon_name_{i}", _("请填写加购项目名称。"))
            elif name:
                addons.append((name, amount))
        data["addons"] = addons
        return data


class OrderCreateForm(_SaleFields):
    """开单: package, scene, consultant, price and discount, add-ons, the planned date, notes,
    and the deposit taken in the same step."""

    package = PackageChoiceField(label=_("套系"), queryset=Package.objects.none(),
                                 empty_label=_("请选择套系"))
    amount = forms.DecimalField(label=_("成交价（元）"), max_digits=12, decimal_places=2,
                                min_value=0, required=False,
                                help_text=_("留空按套系价格"))
    discount = forms.DecimalField(label=_("优惠（元）"), max_digits=12, decimal_places=2,
                                  min_value=0, required=False)
    scene = forms.CharField(label=_("拍摄景点"), max_length=100, required=False)
    consultant = StaffChoiceField(label=_("门市顾问"), queryset=User.objects.none(),
                                  required=False, empty_label=_("本人"))
    planned_on = forms.DateField(label=_("预计首次到店"), widget=DateInput(), required=False,
                                 help_text=_("礼服挑选或拍摄的预计日期"))
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}),
                            required=False)
    deposit = forms.DecimalField(label=_("定金（元）"), max_digits=12, decimal_places=2,
                                 min_value=0, required=False)
    deposit_method = forms.ChoiceField(label=_("定金支付方式"), choices=PaymentMethod.choices)
    # A fresh key per page: a double click (or the browser sending again) makes one order.
    request_key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self._bind_store(store)
        self.store = store

    def save(self, *, customer: Customer, by: User) -> Order | None:
        data = self.cleaned_data
        return self.call(order_create, customer=customer, package=data["package"], by=by,
                         amount=data["amount"], discount=data["discount"] or 0,
                         scene=data["scene"], consultant=data["consultant"],
                         addons=data["addons"], planned_on=data["planned_on"],
                         notes=data["notes"], deposit=data["deposit"],
                         deposit_method=data["deposit_method"],
                         request_key=data["request_key"] or None)


class OrderChangeForm(_SaleFields):
    """A change after the sale: another package (its price unless one is typed), discount,
    add-ons, consultant, scene, planned date, notes; each change one history row."""

    package = PackageChoiceField(label=_("套系"), queryset=Package.objects.none())
    amount = forms.DecimalField(label=_("成交价（元）"), max_digits=12, decimal_places=2,
                                min_value=0, required=False,
                                help_text=_("换套系时留空按新套系价格"))
    discount = forms.DecimalField(label=_("优惠（元）"), max_digits=12, decimal_places=2,
                                  min_value=0)
    scene = forms.CharField(label=_("拍摄景点"), max_length=100, required=False)
    consultant = StaffChoiceField(label=_("门市顾问"), queryset=User.objects.none())
    planned_on = forms.DateField(label=_("预计首次到店"), widget=DateInput(), required=False)
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}),
                            required=False)
    note = forms.CharField(label=_("修改说明"), max_length=200, required=False)

    def __init__(self, *args, order: Order, **kwargs):
        kwargs.setdefault("initial", {
            "package": order.package_id, "discount": order.discount, "scene": order.scene,
            "consultant": order.consultant_id, "planned_on": order.planned_on,
            "notes": order.notes})
        super().__init__(*args, **kwargs)
        self._bind_store(order.store, keep=order.package)
        self.order = order

    def save(self, *, by: User) -> Order | None:
        data, order = self.cleaned_data, self.order
        package = data["package"]
        return self.call(
            order_change, order=order, by=by,
            package=package if package.pk != order.package_id else None,
            amount=data["amount"], discount=data["discount"], consultant=data["consultant"],
            scene=data["scene"], planned_on=data["planned_on"], notes=data["notes"],
            addons=data["addons"], note=data["note"])


class OrderCancelForm(ServiceFormMixin, forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200)
    refund = forms.DecimalField(label=_("退款（元）"), max_digits=12, decimal_places=2,
                                min_value=0, required=False,
                                help_text=_("退给客户的金额，不超过已收款；不退留空"))
    refund_method = forms.ChoiceField(label=_("退款方式"), choices=PaymentMethod.choices)
    request_key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def save(self, *, order: Order, by: User) -> Order | None:
        data = self.cleaned_data
        return self.call(order_cancel, order=order, by=by, reason=data["reason"],
                         refund=data["refund"], refund_method=data["refund_method"],
                         request_key=data["request_key"] or None)


class OrderApproveForm(ServiceFormMixin, forms.Form):
    note = forms.CharField(label=_("审批意见"), max_length=200, required=False)

    def save(self, *, order: Order, by: User) -> Order | None:
        return self.call(order_approve, order=order, by=by, note=self.cleaned_data["note"])


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
    confirm = confirm_field()  # a booked stage done earlier or by others than booked

    def save(self, *, order: Order, by: User):
        data = self.cleaned_data
        return self.call(stage_complete, order=order, kind=data["kind"], by=by,
                         location=data["location"] or None, extra_amount=data["extra_amount"],
                         extra_note=data["extra_note"], picked_up_by=data["picked_up_by"],
                         notes=data["notes"], confirm=data["confirm"])
