"""Serializer pieces shared by every app's API."""
from functools import cache

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def name_of(person: str) -> serializers.CharField:
    """The display name of the user at `person` (a foreign-key path), or null."""
    return serializers.CharField(source=f"{person}.display_name", read_only=True, allow_null=True)


@cache
def choice_field(choices: type[models.TextChoices]) -> type[serializers.ChoiceField]:
    """A ChoiceField of `choices` whose schema enum is named after the class (ComplaintStatusEnum).

    Orders, stages, bookings, callbacks, cards and complaints all have a `status` or a `kind`:
    without a name of its own each enum would collide with the others in the OpenAPI schema.
    One class per choices (cached): two modules asking for the same enum share its component.
    """

    @extend_schema_field(serializers.ChoiceField(choices=choices.choices),
                         component_name=f"{choices.__name__}Enum")
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs) -> None:
            super().__init__(choices=choices.choices, **kwargs)

    Field.__name__ = Field.__qualname__ = f"{choices.__name__}Field"
    return Field


class VisiblePrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id among the objects the requesting user may see (others read as "does not exist").

    `queryset` names the model for the schema; `visible_to(user)` narrows it per request (a
    `*_visible_to` selector), so an out-of-scope id is refused as an unknown one."""

    def __init__(self, *, visible_to, **kwargs) -> None:
        self.visible_to = visible_to
        super().__init__(**kwargs)

    def get_queryset(self) -> models.QuerySet:
        return self.visible_to(self.context["request"].user)


# OutputSerializer: a model as the API shows it, every field read-only (as if `read_only_fields`
# were all of `Meta.fields`): a subclass's Meta names the model and its fields, nothing more.
# A subclass of one that declares no Meta shows its parent's fields and then the fields it
# declares (a detail serializer: the row and its history). (A comment, not a docstring:
# drf-spectacular would make a docstring every component's description.)
class OutputSerializer(serializers.ModelSerializer):
    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "Meta" in cls.__dict__ or not hasattr(cls, "Meta"):
            return
        inherited = {name for base in cls.__bases__ for name in getattr(base, "_declared_fields", {})}
        added = [name for name in cls._declared_fields if name not in inherited]
        cls.Meta = type("Meta", (cls.Meta,), {"fields": [*cls.Meta.fields, *added]})

    def get_extra_kwargs(self) -> dict:
        extra = super().get_extra_kwargs()
        for name in self.Meta.fields:
            extra[name] = {**extra.get(name, {}), "read_only": True}
        return extra
