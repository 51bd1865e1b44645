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
