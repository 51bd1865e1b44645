"""Forms that call a service: bad input and refused moves become form errors, never a 500."""
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from .errors import ConfirmationRequired, DomainError


def confirm_field() -> forms.BooleanField:
    """The tick box of a move that may need confirming (errors.ConfirmationRequired): hidden
    until the service asks for it, then shown with the message saying what it will change."""
    return forms.BooleanField(label=_("确认按实际情况更新"), required=False,
                              widget=forms.HiddenInput)


class ServiceFormMixin:
    """`self.call(service, **kwargs)`: run a service and keep its refusals on the form. A move
    that needs confirming shows the form's `confirm` tick box (confirm_field) with the reason."""

    def call(self: forms.BaseForm, service: Callable[..., Any], **kwargs: Any) -> Any | None:
        try:
            return service(**kwargs)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, exc)
        except ConfirmationRequired as exc:
            if "confirm" in self.fields:
                self.fields["confirm"].widget = CheckInput()
            self.add_error(None, exc.message)
        except DomainError as exc:
            self.add_error(None, exc.message)
        return None


class LocalDateTimeInput(forms.DateTimeInput):
    """A browser date-time picker: it reads only ISO values, whatever the UI language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    """A browser date picker: it reads only ISO values, whatever the UI language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CheckInput(forms.CheckboxInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-check-input", **(attrs or {})})


class RadioInput(forms.RadioSelect):
    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs={"class": "form-check-input", **(attrs or {})}, choices=choices)


class StudioFormRenderer(TemplatesSetting):
    """The project's form renderer (settings.FORM_RENDERER): a form renders through
    templates/components/form.html and each field through templates/components/field.html, so that
    `{{ form }}`, `{{ field.as_field_group }}` and a page's `{% include "components/field.html" %}`
    all give the same markup. Templates come from TEMPLATES (TemplatesSetting), so the components
    can use the project's template tags."""

    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
