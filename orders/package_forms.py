"""The packages page's forms: a package (套系) and a store's sales settings (门店销售设置).

Plain forms over the models' fields: the services in orders.packages decide (a name taken in the
store, a negative price, a store not one's own) and their refusals become the forms' errors.
"""
from django import forms
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy

from staff.models import Store
from staff.scoping import StoreField, scope_for, store_for
from studio.forms import CheckInput, ServiceFormMixin

from .models import Package
from .packages import package_save, store_settings_save

EDITABLE = ["name", "kind", "price", "photos_count", "album_photos", "extra_photo_price",
            "album", "outfits", "scenes", "includes_gown_selection", "description"]
SETTINGS = ["discount_limit", "auto_assign_customers", "document_terms"]


class PackageForm(ServiceFormMixin, forms.Form):
    """A package: its store when it is made (a general manager picks one, or none for the
    chain's; a store manager's is their store), what it costs and what it includes."""

    def __init__(self, *args, user, package: Package | None = None, store: Store | None = None,
                 **kwargs) -> None:
        if package is not None:
            kwargs.setdefault("initial", model_to_dict(package, fields=EDITABLE))
        elif store is not None:
            kwargs.setdefault("initial", {"store": store.pk})
        super().__init__(*args, **kwargs)
        self.user, self.package = user, package
        if package is None and scope_for(user).all_stores:
            self.fields["store"] = forms.ModelChoiceField(
                label=gettext_lazy("门店"), required=False,
                queryset=Store.objects.filter(is_active=True),
                empty_label=gettext_lazy("全部门店通用"),
                help_text=gettext_lazy("留空：全部门店都可销售的总店套系"))
        self.fields.update(fields_for_model(Package, fields=EDITABLE, widgets={
            "includes_gown_selection": CheckInput,
            "description": forms.Textarea(attrs={"rows": 3})}))
        self.fields["includes_gown_selection"].help_text = gettext_lazy(
            "定单、拍摄、选片、取件每个套系都有；礼服挑选可选")

    def save_package(self) -> Package | None:
        fields = {name: self.cleaned_data[name] for name in EDITABLE}
        if self.package is None:
            fields["store"] = (self.cleaned_data["store"] if "store" in self.fields
                               else store_for(self.user, None, writing=True))
        return self.call(package_save, package=self.package, by=self.user, **fields)


class StoreSettingsForm(ServiceFormMixin, forms.Form):
    """门店销售设置: the store's discount limit, whether new customers are given out to its
    specialists at once, and the terms printed on its order confirmations."""

    store = StoreField(label=gettext_lazy("门店"))

    def __init__(self, *args, user, store: Store | None = None, **kwargs) -> None:
        if store is not None:
            kwargs.setdefault("initial", {"store": store.pk, **model_to_dict(store, fields=SETTINGS)})
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["store"].bind(user, writing=True)
        self.fields.update(fields_for_model(Store, fields=SETTINGS, widgets={
            "auto_assign_customers": CheckInput,
            "document_terms": forms.Textarea(attrs={"rows": 4})}))

    def save_settings(self) -> Store | None:
        return self.call(store_settings_save, store=self.cleaned_data["store"], by=self.user,
                         **{name: self.cleaned_data[name] for name in SETTINGS})
