"""What the gateways push back: delivery reports (sent → delivered / failed, with the reason) and
the customers' replies (回复TD退订 → an opt-out).

Aliyun's and Tencent's pushes carry no signature, so each is believed only at a URL holding the
SMS_RECEIPT_TOKEN secret (compared in constant time); anything else is refused 403 and changes
nothing. WeChat's event pushes are signed (sha1 of the server token, timestamp and nonce).
Each answers in the body its gateway expects.
"""
import hmac
import json
import logging

from defusedxml import ElementTree as ET  # WeChat pushes XML: parsed safely
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from studio.sms import Receipt, sms_opt_out, sms_receipts_apply

from .gateways import aliyun, tencent
from .gateways.wechat import event_signature_valid

logger = logging.getLogger(__name__)

# A reply that asks for no more messages (the gateways' own 退订 words).
OPT_OUT_WORDS = {"TD", "T", "N", "退订", "TD退订", "取消", "UNSUBSCRIBE"}
ANSWERS = {
    "aliyun": ({"code": 0, "msg": "接收成功"}, {"code": 1, "msg": "格式错误"}),
    "tencent": ({"result": 0, "errmsg": "OK"}, {"result": 1, "errmsg": "bad request"}),
}


def _token_valid(token: str) -> bool:
    expected = settings.SMS_RECEIPT_TOKEN
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def _json_items(request: HttpRequest) -> list[dict] | None:
    try:
        data = json.loads(request.body or b"null")
    except ValueError:
        return None
    data = [data] if isinstance(data, dict) else data
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        return None
    return data


def _mobile(number: str) -> str:
    digits = "".join(c for c in str(number) if c.isdigit())
    return digits[-11:]


def _opt_out_if_asked(number: str, text: str) -> bool:
    words = (text or "").strip().upper()
    if words in OPT_OUT_WORDS and len(_mobile(number)) == 11:
        sms_opt_out(mobile=_mobile(number), text=text)
        return True
    return False


@csrf_exempt
@require_POST
def gateway_push(request: HttpRequest, gateway: str, kind: str, token: str) -> HttpResponse:
    """POST /messaging/receipts/<aliyun|tencent>/<report|reply>/<token>/"""
    if gateway not in ANSWERS or kind not in ("report", "reply"):
        return HttpResponse(status=404)
    if not _token_valid(token):
        logger.warning("refused a %s %s push with a wrong token", gateway, kind)
        return HttpResponseForbidden()
    ok, bad = ANSWERS[gateway]
    items = _json_items(request)
    if items is None:
        return JsonResponse(bad, status=400)
    if kind == "report":
        parse = aliyun.receipts_from_report if gateway == "aliyun" else tencent.receipts_from_report
        changed = sms_receipts_apply(gateway=gateway, receipts=parse(items))
        logger.info("%s report: %s receipts, %s messages changed", gateway, len(items), changed)
    else:
        for item in items:  # Aliyun: phone_number/content; Tencent: mobile/text
            _opt_out_if_asked(item.get("phone_number") or item.get("mobile") or "",
                              str(item.get("content") or item.get("text") or ""))
    return JsonResponse(ok)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_events(request: HttpRequest) -> HttpResponse:
    """WeChat's server URL: GET answers the console's check (echostr), POST takes the events;
    a template message's TEMPLATESENDJOBFINISH is its delivery report."""
    if not event_signature_valid(signature=request.GET.get("signature", ""),
                                 timestamp=request.GET.get("timestamp", ""),
                                 nonce=request.GET.get("nonce", "")):
        return HttpResponseForbidden()
    if request.method == "GET":
        return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain")
    try:
        event = {child.tag: (child.text or "") for child in ET.fromstring(request.body)}
    except ET.ParseError:
        return HttpResponse("bad xml", status=400)
    if event.get("Event") == "TEMPLATESENDJOBFINISH" and event.get("MsgID"):
        status = event.get("Status", "")
        sms_receipts_apply(gateway="wechat", receipts=[
            Receipt(event["MsgID"], status == "success",
                    "" if status == "success" else f"微信：{status}")])
    return HttpResponse("success", content_type="text/plain")
