"""Serializer pieces shared by every app's API."""
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def name_of(person: str) -> serializers.CharField:
    """The display name of the user at `person` (a foreign-key path), or null."""
    return serializers.CharField(source=f"{person}.display_name", read_only=True, allow_null=True)


def choice_field(choices: type[models.TextChoices]) -> type[serializers.ChoiceField]:
    """A ChoiceField of `choices` whose schema enum is named after the class (ComplaintStatusEnum).

    Orders, stages, bookings, callbacks, cards and complaints all have a `status` or a `kind`:
    without a name of its own each enum would collide with the others in the OpenAPI schema.
    """

    @extend_schema_field(serializers.ChoiceField(choices=choices.choices),
                         component_name=f"{choices.__name__}Enum")
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs) -> None:
            super().__init__(choices=choices.choices, **kwargs)

    Field.__name__ = Field.__qualname__ = f"{choices.__name__}Field"
    return Field
