"""Serializer pieces shared by every app's API."""
from rest_framework import serializers


def name_of(person: str) -> serializers.CharField:
    """The display name of the user at `person` (a foreign-key path), or null."""
    return serializers.CharField(source=f"{person}.display_name", read_only=True, allow_null=True)
