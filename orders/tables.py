"""The columns of each stage list: one definition serves the page and the Excel export."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from studio.exports import XlsxColumn

from .models import OrderStage, StageKind, StageStatus


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    value: Callable[[OrderStage, "RowContext"], Any]
    width: int = 14


@dataclass(frozen=True)
class RowContext:
    now: datetime
    reveal_mobile: bool


def _name(user) -> str:
    return user.display_name if user else ""


def _mobile(stage: OrderStage, ctx: RowContext) -> str:
    customer = stage.order.customer
    return customer.mobile if ctx.reveal_mobile else customer.masked_mobile


CUSTOMER = Column("customer", _("客户"), lambda s, c: str(s.order.customer), 16)
MOBILE = Column("mobile", _("手机号"), _mobile, 14)
PACKAGE = Column("package", _("套系"), lambda s, c: s.order.package.name, 16)
SPECIALIST = Column("specialist", _("负责客服"), lambda s, c: _name(s.order.customer.assigned_to))
STATUS = Column("status", _("状态"), lambda s, c: s.get_status_display(), 10)
SCHEDULED = Column("scheduled_at", _("预约时间"), lambda s, c: s.scheduled_at, 17)
BALANCE = Column("balance", _("欠款"), lambda s, c: s.order.balance_owed, 12)
LATE = Column("late", _("逾期"), lambda s, c: s.is_late(c.now), 8)
PAYMENT = Column("payment", _("付款情况"), lambda s, c: s.order.payment_status, 10)
STAFF = Column("staff", _("服务人员"), lambda s, c: _name(s.assigned_to))
EXTRAS = Column("extras", _("加选/消费"), lambda s, c: s.extra_amount, 12)
EXTRA_NOTE = Column("extra_note", _("加选内容"), lambda s, c: s.extra_note, 20)
COMPLETED = Column("completed_at", _("完成时间"), lambda s, c: s.completed_at, 17)

STAGE_COLUMNS: dict[str, list[Column]] = {
    StageKind.ORDER: [
        CUSTOMER, MOBILE, PACKAGE,
        Column("scene", _("拍摄景点"), lambda s, c: s.order.scene, 14),
        # The row adds up: 订单金额 − 优惠 + 加选 = 应收; 应收 − 已收款 = 欠款.
        Column("amount", _("订单金额"), lambda s, c: s.order.amount, 12),
        Column("discount", _("优惠"), lambda s, c: s.order.discount, 10),
        Column("due", _("应收"), lambda s, c: s.order.total_due, 12),
        Column("paid", _("已收款"), lambda s, c: s.order.paid_total, 12),
        PAYMENT, BALANCE, SPECIALIST,
        Column("created", _("下单时间"), lambda s, c: s.order.created_at, 17),
        Column("next", _("当前阶段"), lambda s, c: s.order.get_current_stage_display(), 10),
    ],
    StageKind.GOWN: [CUSTOMER, MOBILE, PACKAGE, STATUS, SCHEDULED, STAFF, EXTRAS, EXTRA_NOTE,
                     PAYMENT, BALANCE, SPECIALIST, LATE],
    StageKind.SHOOT: [
        CUSTOMER, MOBILE, PACKAGE, STATUS, SCHEDULED,
        Column("photographer", _("摄影师"), lambda s, c: _name(s.assigned_to)),
        Column("makeup", _("化妆师"), lambda s, c: _name(s.makeup_artist)),
        Column("location", _("外景点"), lambda s, c: s.location, 14),
        BALANCE, SPECIALIST, LATE,
    ],
    StageKind.SELECTION: [
        CUSTOMER, MOBILE, PACKAGE, STATUS, SCHEDULED,
        Column("selector", _("选片师"), lambda s, c: _name(s.assigned_to)),
        Column("spending", _("选片消费"), lambda s, c: s.extra_amount, 12),
        BALANCE, SPECIALIST, LATE,
    ],
    StageKind.PICKUP: [
        CUSTOMER, MOBILE, PACKAGE, STATUS, SCHEDULED,
        Column("handed_over_by", _("交件人员"), lambda s, c: _name(s.completed_by)
               if s.status == StageStatus.DONE else ""),
        Column("picked_up_by", _("取件人"), lambda s, c: s.picked_up_by),
        COMPLETED, BALANCE, SPECIALIST, LATE,
    ],
}


def stage_rows(stages, kind: str, ctx: RowContext):
    """(stage, [values]) for each stage, in the stage list's column order."""
    columns = STAGE_COLUMNS[kind]
    for stage in stages:
        yield stage, [column.value(stage, ctx) for column in columns]


def xlsx_columns(kind: str) -> list[XlsxColumn]:
    return [XlsxColumn(str(c.header), c.width) for c in STAGE_COLUMNS[kind]]
