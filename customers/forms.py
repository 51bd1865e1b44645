"""Forms of the customer pages; the services decide, the forms report."""
from django import forms
from django.utils.translation import gettext_lazy as _

from studio.forms import ServiceFormMixin

from .services import customer_add_note


class NoteForm(ServiceFormMixin, forms.Form):
    """A note on a customer's file (the customer page). An empty note is the service's refusal."""

    text = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={
        "rows": 2, "placeholder": _("记录沟通内容…")}))

    def save(self, *, customer, by):
        return self.call(customer_add_note, customer=customer, by=by, text=self.cleaned_data["text"])
