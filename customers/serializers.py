"""API shapes of customers, and the mobile field every app's serializers share."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from studio.serializers import OutputSerializer, VisiblePrimaryKeyField, name_of

from .models import ContactTime, Customer, SourceChannel, Title
from .selectors import customers_visible_to, customers_with_mobile_elsewhere
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
                  "created_at", "wechat", "referrer", "preferred_contact_time", "notes",
                  "merged_into"]


class CustomerRefSerializer(OutputSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name"]


class SameMobileSerializer(serializers.Serializer):
    """A customer of another store with the same mobile: named in full, with its id, only to
    someone who sees them and full mobiles; else the store and 张**."""

    store = serializers.CharField(source="store_name")
    name = serializers.CharField()
    id = serializers.IntegerField(source="pk", allow_null=True)


class CustomerRegisteredSerializer(CustomerSerializer):
    same_mobile_elsewhere = serializers.SerializerMethodField(
        help_text="连锁其他门店登记了同一手机号的客户（提醒，不阻止登记）")

    @extend_schema_field(SameMobileSerializer(many=True))
    def get_same_mobile_elsewhere(self, customer: Customer) -> list[dict]:
        user = self.context["request"].user
        return SameMobileSerializer(customers_with_mobile_elsewhere(
            user, store_id=customer.store_id, mobile=customer.mobile), many=True).data


class _ProfileInputSerializer(serializers.Serializer):
    """A customer's profile as the API takes it: shapes only; customers.services checks the
    rules (one mobile per store, a valid mobile, a referrer who stands) and answers 400."""

    name = serializers.CharField(max_length=64)
    title = serializers.ChoiceField(choices=Title.choices, default=Title.MS)
    mobile = serializers.CharField(max_length=11)
    wechat = serializers.CharField(max_length=64, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=SourceChannel.choices, default=SourceChannel.WALK_IN)
    referrer = VisiblePrimaryKeyField(queryset=Customer.objects.all(), visible_to=customers_visible_to,
                                      required=False, allow_null=True,
                                      help_text="介绍人（您能查看的客户）")
    wedding_on = serializers.DateField(required=False, allow_null=True)
    child_birthday_on = serializers.DateField(required=False, allow_null=True)
    preferred_contact_time = serializers.ChoiceField(choices=ContactTime.choices,
                                                     default=ContactTime.ANY)
    notes = serializers.CharField(max_length=2000, allow_blank=True, default="")


class CustomerRegisterInputSerializer(_ProfileInputSerializer):
    store = serializers.IntegerField(required=False, allow_null=True,
                                     help_text="门店 ID：总经理必填；其他人为本人所在门店")


class CustomerUpdateInputSerializer(_ProfileInputSerializer):
    """PATCH: only the fields sent change."""

    def get_fields(self) -> dict:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
            field.default = serializers.empty
        return fields

    def validate_referrer(self, referrer: Customer | None) -> Customer | None:
        if referrer is not None and referrer.pk == getattr(self.instance, "pk", None):
            raise serializers.ValidationError("介绍人不能是该客户本人。")
        return referrer


class CustomerMergeInputSerializer(serializers.Serializer):
    merged = VisiblePrimaryKeyField(
        queryset=Customer.objects.all(),
        visible_to=lambda user: customers_visible_to(user, include_merged=True),
        help_text="要合并掉的另一条记录（同一门店）；路径中的客户保留")
