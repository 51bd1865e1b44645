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
