"""Forms that call a service: bad input and refused moves become form errors, never a 500."""
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .errors import DomainError


class ServiceFormMixin:
    """`self.call(service, **kwargs)`: run a service and keep its refusals on the form."""

    def call(self: forms.BaseForm, service: Callable[..., Any], **kwargs: Any) -> Any | None:
        try:
            return service(**kwargs)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, exc)
        except DomainError as exc:
            self.add_error(None, exc.message)
        return None


class LocalDateTimeInput(forms.DateTimeInput):
    """A browser date-time picker: it reads only ISO values, whatever the UI language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class CheckInput(forms.CheckboxInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-check-input", **(attrs or {})})


class RadioInput(forms.RadioSelect):
    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs={"class": "form-check-input", **(attrs or {})}, choices=choices)
