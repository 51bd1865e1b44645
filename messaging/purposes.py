"""What the studio sends its customers, one entry per purpose: the parameters a template may use
(in the order Tencent's positional templates take them), sample values for the preview, and
whether it is marketing (opt-out honoured, "回复TD退订" added) or urgent (never held back).

Chinese gateways send only templates approved in their console: a store maps each purpose to
its template there (MessageTemplate). Without one, the outbox alone keeps the caller's own text.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Purpose:
    key: str
    label: str
    params: tuple[tuple[str, str, str], ...]  # (name, what it is, a sample for the preview)
    marketing: bool = False
    urgent: bool = False
    wechat: bool = True  # a one-time code goes by SMS only: it proves the mobile

    @property
    def names(self) -> list[str]:
        return [name for name, _label, _sample in self.params]

    @property
    def sample(self) -> dict[str, str]:
        return {name: str(sample) for name, _label, sample in self.params}


_CUSTOMER = ("customer", _("客户称呼"), "王女士")
_STORE = ("store", _("门店"), "人民路店")
_SERVICE = ("service", _("服务项目"), "婚纱拍摄")
_DATE = ("date", _("日期"), "3月12日")
_TIME = ("time", _("时间"), "14:00")
_ADDRESS = ("address", _("门店地址"), "人民路 88 号")

PURPOSES: dict[str, Purpose] = {p.key: p for p in [
    Purpose("booking", _("预约确认"), (_CUSTOMER, _STORE, _SERVICE, _DATE, _TIME, _ADDRESS)),
    Purpose("reminder", _("到店前一天提醒"), (_CUSTOMER, _STORE, _SERVICE, _DATE, _TIME, _ADDRESS)),
    Purpose("production:pickup", _("取件通知"), (_CUSTOMER, _STORE, ("order", _("订单号"), "1024"))),
    Purpose("callback:thanks", _("回访感谢短信"), (_CUSTOMER, _STORE, _SERVICE), marketing=True),
    Purpose("callback:survey", _("满意度调查短信"), (_CUSTOMER, _STORE, _SERVICE), marketing=True),
    Purpose("walkout", _("未成交客户邀约短信"), (_CUSTOMER, _STORE), marketing=True),
    Purpose("otp", _("登录验证码"), (("code", _("验证码"), "382615"),
                                  ("minutes", _("有效分钟"), "5")), urgent=True, wechat=False),
]}
PURPOSE_CHOICES = [(p.key, p.label) for p in PURPOSES.values()]


def purpose_label(key: str) -> str:
    """The purpose as a page names it; a code no purpose knows is shown as it is."""
    purpose = PURPOSES.get(key)
    return str(purpose.label) if purpose else key
