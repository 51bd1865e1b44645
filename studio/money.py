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


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def money_in_words(amount: Decimal | int | str) -> str:
    """An amount of yuan in Chinese capitals, as a receipt writes it (大写金额): 12000 is
    壹万贰仟元整, 10005 壹万零伍元整, 100.07 壹佰元零柒分, 0.50 伍角. Zeros between digits
    are one 零; 整 ends an amount without fen or jiao; a negative amount starts with 负."""
    amount = Decimal(str(amount)).quantize(CENT)
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    words, zero, in_section = [], False, False
    digits = str(yuan)
    for i, char in enumerate(digits):
        place = len(digits) - 1 - i
        if char == "0":
            zero = zero or bool(words)
        else:
            if zero:
                words.append("零")
                zero = False
            words.append(_DIGITS[int(char)] + _PLACES[place % 4])
            in_section = True
        if place % 4 == 0 and place and in_section:
            words.append(_SECTIONS[place // 4])
            in_section = False
    if yuan:
        words.append("元")
    if not jiao and not fen:
        return sign + ("".join(words) if yuan else "零元") + "整"
    if jiao:
        words.append(_DIGITS[jiao] + "角")
    elif yuan:
        words.append("零")
    if fen:
        words.append(_DIGITS[fen] + "分")
    return sign + "".join(words)
