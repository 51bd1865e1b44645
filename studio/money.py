"""Amounts of money from what people type: the one parser of the studio's yuan amounts."""
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_DROPPED = re.compile(r"[\s,¥￥元]")  # what people write around an amount


def money_parse(value: object, *, field: str, blank: Decimal | None = None) -> Decimal:
    """`value` (a form's or a sheet's text, JSON's number or string, a Decimal) as an amount of
    yuan to the fen. ¥, 元, thousands' commas and spaces are dropped ("¥1,299.50 元" is 1299.50).
    Not a number, not finite, or finer than the fen (12.345) is refused, never rounded:
    ValidationError({field: ...}). Left blank (None or "") it is `blank`, or refused when
    `blank` is None. Whether it may be negative or zero is the caller's rule."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if blank is None:
            raise ValidationError({field: ValidationError(_("请输入金额。"), code="required")})
        return blank
    if isinstance(value, bool):
        raise _invalid(field)
    try:
        amount = Decimal(_DROPPED.sub("", value if isinstance(value, str) else str(value)))
    except (InvalidOperation, ValueError):
        raise _invalid(field) from None
    if not amount.is_finite():
        raise _invalid(field)
    try:
        fen = amount.quantize(CENT)
    except InvalidOperation:  # more digits than a Decimal holds: no amount of ours
        raise _invalid(field) from None
    if fen != amount:
        raise ValidationError({field: ValidationError(
            _("金额最多两位小数（到分）。"), code="max_decimal_places")})
    return fen


def _invalid(field: str) -> ValidationError:
    return ValidationError({field: ValidationError(_("请输入有效的金额。"), code="invalid")})
