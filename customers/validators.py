"""Chinese mobile numbers: 11 digits, 1[3-9]..."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value or ""):
        raise ValidationError(
            _("请输入有效的 11 位手机号（1 开头，第二位 3-9），例如 13812345678。"),
            code="invalid_mobile",
        )


def mask_mobile(value: str) -> str:
    """138****1234: what roles without the reveal permission see."""
    if len(value) != 11:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def mask_name(value: str) -> str:
    """张**: a name as shown to someone outside the customer's scope (the family name only)."""
    value = (value or "").strip()
    return f"{value[:1]}{'*' * max(len(value) - 1, 1)}" if value else ""
