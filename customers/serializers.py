"""API shapes of customers, and the mobile field every app's serializers share."""
from rest_framework import serializers

from studio.serializers import OutputSerializer, name_of

from .models import Customer
from .validators import mask_mobile


class MobileField(serializers.CharField):
    """The mobile in full for roles with customers.view_full_mobile, else 138****1234."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: str) -> str:
        request = self.context.get("request")
        if request is not None and request.user.has_perm("customers.view_full_mobile"):
            return value
        return mask_mobile(value)


class CustomerSerializer(OutputSerializer):
    mobile = MobileField()
    store_name = serializers.CharField(source="store.name", read_only=True)
    assigned_to_name = name_of("assigned_to")

    class Meta:
        model = Customer
        fields = ["id", "name", "title", "mobile", "store", "store_name", "assigned_to",
                  "assigned_to_name", "source", "is_vip", "wedding_on", "child_birthday_on",
                  "created_at"]


class CustomerRefSerializer(OutputSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name"]
