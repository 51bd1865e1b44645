"""Outbox rows as the services leave them, for the gateway tests."""
from studio.models import SmsMessage

MOBILE = "13812345678"


def queued(**fields) -> SmsMessage:
    """A queued SMS with a template and its parameters (what message_queue leaves)."""
    values = {"mobile": MOBILE, "body": "王女士您好，3月12日 14:00 人民路店等您。",
              "purpose": "reminder", "template_code": "SMS_465001",
              "params": [["customer", "王女士"], ["date", "3月12日"], ["time", "14:00"]]}
    values.update(fields)
    return SmsMessage.objects.create(**values)
