"""What each event carries: one serializer per event, used for the payload sent and for the
OpenAPI schema's `webhooks` (SPECTACULAR_SETTINGS["WEBHOOKS"] = ["webhooks.payloads.WEBHOOKS"]).

Small and stable: ids, the store's code, amounts as strings ("1280.00"), times in ISO 8601 with
the studio's offset, codes (`status`, `kind`) rather than labels. A customer's mobile is masked
(138****1234): customer data is confidential (DESIGN principle 8), and an integrator that needs
more reads the API with its own token and permissions. The serializers read attributes only:
webhooks stands below the apps whose objects they describe and imports none of them.
"""
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from .models import PING, WebhookEvent

_MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


# What is sent. Not read-only: in the schema a webhook's payload is the request body the
# receiver takes, and generators leave read-only properties out of request models. (No
# docstring: drf-spectacular would give it to every payload as its description.)
class _Out(serializers.Serializer):
    pass


class WebhookCustomerSerializer(_Out):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField(help_text="称呼代码，如 ms（女士）、mr（先生）")
    mobile = serializers.CharField(source="masked_mobile", help_text="手机号（已遮盖）：138****1234")


class WebhookCustomerCreatedSerializer(WebhookCustomerSerializer):
    source = serializers.CharField(help_text="客户来源代码")
    assigned_to = serializers.IntegerField(source="assigned_to_id", allow_null=True,
                                           help_text="负责客服的用户 ID")
    created_at = serializers.DateTimeField()


class WebhookOrderSerializer(_Out):
    id = serializers.IntegerField()
    customer = WebhookCustomerSerializer()
    package = serializers.CharField(source="package.name", help_text="套系名称")
    amount = serializers.DecimalField(**_MONEY, help_text="订单金额（元）")
    discount = serializers.DecimalField(**_MONEY, help_text="优惠（元）")
    paid_total = serializers.DecimalField(**_MONEY, help_text="已收款（元）")
    status = serializers.CharField(help_text="订单状态代码：pending_approval、active、completed、cancelled")
    current_stage = serializers.CharField(help_text="当前服务阶段代码；空：已全部完成")
    cancelled_reason = serializers.CharField(help_text="取消原因（取消时）")
    created_at = serializers.DateTimeField()


class WebhookPaymentSerializer(_Out):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    customer = WebhookCustomerSerializer(source="order.customer")
    kind = serializers.CharField(help_text="款项代码：deposit、balance、addon、refund")
    amount = serializers.DecimalField(**_MONEY, help_text="金额（元），退款也为正数")
    method = serializers.CharField(help_text="支付方式代码")
    paid_at = serializers.DateTimeField()
    receipt = serializers.CharField(source="receipt.number", allow_null=True,
                                    help_text="收据编号")


class WebhookStageSerializer(_Out):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    customer = WebhookCustomerSerializer(source="order.customer")
    kind = serializers.CharField(help_text="阶段代码：order、gown、shoot、selection、pickup…")
    status = serializers.CharField()
    completed_at = serializers.DateTimeField()
    order_status = serializers.CharField(source="order.status",
                                         help_text="订单状态：取件完成后为 completed")


class WebhookCallbackSerializer(_Out):
    id = serializers.IntegerField(source="task_id", help_text="回访任务 ID")
    record = serializers.IntegerField(source="id", help_text="回访记录 ID")
    customer = WebhookCustomerSerializer(source="task.customer")
    purpose = serializers.CharField(source="task.purpose", help_text="回访用途代码")
    channel = serializers.CharField()
    satisfaction = serializers.CharField(help_text="满意度代码")
    score = serializers.IntegerField(allow_null=True)
    wants_complaint = serializers.BooleanField(help_text="客户要求转投诉")
    completed_at = serializers.DateTimeField(source="task.completed_at")


class WebhookComplaintSerializer(_Out):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="投诉编号")
    customer = WebhookCustomerSerializer()
    order = serializers.IntegerField(source="order_id", allow_null=True)
    channel = serializers.CharField()
    category = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.CharField(help_text="registered；结案时 closed（已解决）或 rejected（不成立）")
    received_at = serializers.DateTimeField()


class WebhookPointsSerializer(_Out):
    id = serializers.IntegerField(help_text="积分流水 ID")
    member = serializers.IntegerField(source="account_id", help_text="会员账户 ID")
    customer = WebhookCustomerSerializer(source="account.customer")
    kind = serializers.CharField(help_text="earn、redeem、adjust、expire、reversal、referral")
    points = serializers.IntegerField(help_text="变动积分，扣减为负数")
    balance_after = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id", allow_null=True)
    at = serializers.DateTimeField()


class WebhookPingSerializer(_Out):
    message = serializers.CharField()


# The one definition of each event's `data`.
PAYLOADS: dict[str, type[serializers.Serializer]] = {
    WebhookEvent.CUSTOMER_CREATED: WebhookCustomerCreatedSerializer,
    WebhookEvent.ORDER_CREATED: WebhookOrderSerializer,
    WebhookEvent.ORDER_CANCELLED: WebhookOrderSerializer,
    WebhookEvent.PAYMENT_RECORDED: WebhookPaymentSerializer,
    WebhookEvent.STAGE_COMPLETED: WebhookStageSerializer,
    WebhookEvent.CALLBACK_COMPLETED: WebhookCallbackSerializer,
    WebhookEvent.COMPLAINT_REGISTERED: WebhookComplaintSerializer,
    WebhookEvent.COMPLAINT_CLOSED: WebhookComplaintSerializer,
    WebhookEvent.POINTS_CHANGED: WebhookPointsSerializer,
    PING: WebhookPingSerializer,
}


def payload_data(event: str, obj) -> dict:
    """The `data` of `event` about `obj` (a dict is taken as it is)."""
    return obj if isinstance(obj, dict) else dict(PAYLOADS[event](obj).data)


def payload_envelope(*, event_id, event: str, store, data: dict) -> dict:
    """The body sent: the same for every endpoint and every attempt of one event."""
    return {"id": str(event_id), "event": event,
            "created_at": serializers.DateTimeField().to_representation(timezone.now()),
            "store": {"id": store.pk, "code": store.code, "name": store.name}, "data": data}


# --- the schema: one OpenAPI 3.1 webhook per event ---------------------------------------------

class WebhookStoreSerializer(_Out):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="门店编号")
    name = serializers.CharField()


def _envelope(event: str, data: type[serializers.Serializer]) -> type[serializers.Serializer]:
    name = "".join(part.capitalize() for part in event.replace(".", "_").split("_"))
    return type(f"Webhook{name}EventSerializer", (_Out,), {
        "__doc__": f"`{event}`：事件信封，`data` 为该事件的内容。",
        "id": serializers.UUIDField(help_text="事件 ID：同一事件重发时不变，接收方据此去重"),
        "event": serializers.ChoiceField(choices=[event]),
        "created_at": serializers.DateTimeField(help_text="事件发生时间"),
        "store": WebhookStoreSerializer(),
        "data": data(),
    })


ENVELOPES = {str(event): _envelope(str(event), data) for event, data in PAYLOADS.items()}

_HEADERS = """Headers: `X-Studio-Event` (the event), `X-Studio-Delivery` (this delivery's id),
`X-Studio-Timestamp` (Unix seconds), `X-Studio-Signature: sha256=<hex>`, the HMAC-SHA256 of
`{timestamp}.{body}` with the endpoint's secret (docs/api.md). Answer 2xx within 5 seconds;
a timeout, a connection error, 408, 429 or 5xx is retried with backoff, any other answer fails
the delivery at once. Delivered at least once: de-duplicate by `id`."""

WEBHOOKS = [
    OpenApiWebhook(name=event, decorator=extend_schema(
        summary=str(dict(WebhookEvent.choices).get(event, "测试事件（发送测试按钮）")),
        description=_HEADERS, request=envelope,
        responses={200: OpenApiResponse(description="收到（任何 2xx）")}))
    for event, envelope in ENVELOPES.items()
]
