"""The API's shapes of endpoints and deliveries. The secret is in no list: only the answer to
the POST that creates an endpoint carries it, once."""
from rest_framework import serializers

from staff.models import Store
from studio.serializers import OutputSerializer

from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent


class WebhookEndpointSerializer(OutputSerializer):
    store_code = serializers.CharField(source="store.code", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "store", "store_code", "url", "description", "events", "is_active",
                  "created_by", "created_at", "updated_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="签名密钥：只在创建时返回这一次")


class WebhookEndpointInputSerializer(serializers.Serializer):
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects.filter(is_active=True), required=False, allow_null=True,
        help_text="总经理必填；其他角色只能为本门店添加（可省略）")
    url = serializers.URLField(max_length=500,
                               help_text="https:// 地址（仅 127.0.0.1、localhost 可用 http://）")
    description = serializers.CharField(max_length=100, required=False, allow_blank=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices),
                                   allow_empty=False)
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateSerializer(WebhookEndpointInputSerializer):
    store = None  # an endpoint stays with its store
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices),
                                   allow_empty=False, required=False)
    is_active = serializers.BooleanField(required=False)


class WebhookDeliverySerializer(OutputSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "event_id", "event", "status", "attempts",
                  "next_attempt_at", "last_attempt_at", "response_code", "reason",
                  "delivered_at", "created_at", "payload"]
