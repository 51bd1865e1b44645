"""Demo complaints in both stores, of every category and severity and at every step of the loop
(one not valid), through the same services the staff use."""
import base64
import random
from datetime import datetime, timedelta

from django.utils import timezone

from complaints.models import Complaint
from complaints.services import (
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
    complaint_register,
    responsible_department_for,
)
from customers.models import Customer
from staff.models import Department, DepartmentKind, Role, Store, User

from .orders import DESK_TIMES, local_slot

SIGNATURE = "data:image/png;base64," + base64.b64encode(
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82").decode()

# (category, severity, channel, what the customer said, the cause found, who was responsible,
#  the solutions proposed: (kind, description, cost), the first is the one approved).
CASES = [
    ("product_quality", "normal", "in_store",
     "取件时发现 12 寸水晶相册封面有一道划痕，内页第 5 页的合照颜色明显偏暗。",
     "相册到店质检时漏检，调色文件送厂前未复核", Role.DESIGNER,
     [("remake", "免费重做相册并加急 7 天到店", 300), ("points", "赠送 500 积分并致歉", 50)]),
    ("service_attitude", "low", "callback",
     "选片时顾问一直催促加选，说不加就只有 10 张精修，感觉很不舒服。",
     "选片顾问为完成二消指标推销过度，未先讲清套系内容", Role.SELECTION_CONSULTANT,
     [("apology", "店长当面致歉，赠送 8 寸摆台一个", 80), ("points", "赠送 300 积分", 30)]),
    ("schedule", "high", "phone",
     "约好周六上午的外景拍摄，前一天晚上九点才通知改期，家里人都请好假了。",
     "外景点当天名额超订，前台未及时协调", Role.FRONT_DESK,
     [("gift", "改期当天免费升级外景套餐并赠送 2 套造型", 600), ("refund", "退还外景费 500 元", 500)]),
    ("price", "normal", "online_review",
     "取件时才被告知放大框要另加 600 元，签单时门市没有说明，感觉被坑了。",
     "门市签单时未讲清套系不含放大框", Role.FRONT_DESK,
     [("refund", "退还放大框差价 600 元", 600), ("gift", "赠送 10 寸实木相框", 120)]),
    ("product_quality", "high", "public_form",
     "精修照片皮肤修得太假，脸型也被改了，家里人都说不像本人。",
     "修图师未按客户备注的“保留自然肤质”要求修片", Role.DESIGNER,
     [("remake", "按客户意见重新精修 30 张，客户到店确认后再送厂", 200)]),
    ("service_attitude", "normal", "in_store",
     "化妆时化妆师一直在打电话，妆面也比沟通时浓很多，拍出来显老。",
     "化妆师工作时接听私人电话，未按试妆记录上妆", Role.MAKEUP_ARTIST,
     [("reshoot", "免费补拍一组内景并重新化妆", 400), ("apology", "化妆师当面致歉", 0)]),
    ("schedule", "low", "phone",
     "宝宝百天照约的上午 10 点，到店等了 40 多分钟才开始拍，宝宝都哭闹了。",
     "前一组拍摄超时，前台没有提前告知等待时间", Role.FRONT_DESK,
     [("points", "赠送 300 积分并致歉", 30)]),
    ("other", "low", "online_review",
     "停车不方便，店里没有提前告知附近的停车场，绕了半个小时才停好。",
     "预约短信未附停车指引", Role.FRONT_DESK,
     [("apology", "电话致歉，以后的预约短信附停车指引", 0)]),
    ("price", "low", "callback",
     "会员积分抵扣的规则，前台说的和会员手册上写的不一样。",
     "", None, []),
    ("product_quality", "normal", "phone",
     "电子档 U 盘里少了 3 张精修照片，打开还有一张是别人的照片。",
     "刻录电子档时文件夹选错，出件前未核对", Role.SELECTION_CONSULTANT,
     [("remake", "重新刻录电子档并快递到家", 30), ("gift", "赠送精修 5 张", 150)]),
]
# How far each complaint has got, in turn: 0 registered … 5 closed; None judged not valid.
DEPTHS = [5, 1, 3, 4, 2, 5, 0, 5, None, 3]


def _people(store: Store, role: str) -> list[User]:
    return list(User.objects.filter(staff_profile__store=store, staff_profile__role=role)
                .order_by("pk"))


def demo_seed(*, now: datetime, seed: int = 2028) -> dict[str, int]:
    rng = random.Random(seed)
    if not Store.objects.exists() or Complaint.objects.exists():
        return {}
    created = 0
    for store_index, store in enumerate(Store.objects.order_by("code")):
        specialists = _people(store, Role.SPECIALIST)
        supervisor = _people(store, Role.SUPERVISOR)[0]
        customers = list(Customer.objects.filter(store=store, orders__isnull=False)
                         .order_by("pk").distinct())
        count = min(len(customers), [8, 5][store_index % 2], max(4, len(customers) // 2))
        for n, customer in enumerate(rng.sample(customers, k=count)):
            i = (n + 8 * store_index) % len(CASES)  # the second store: the last cases first
            category, severity, channel, content, cause, role, solutions = CASES[i]
            specialist = customer.assigned_to or specialists[n % len(specialists)]
            # The first three of a store came this month (the dashboards' 本月投诉), when the
            # month has a day behind it; the others over the last ten weeks.
            this_month = timezone.localdate(now).day - 1
            days_ago = rng.randint(1, this_month) if n < 3 and this_month else rng.randint(1, 75)
            received = _open_hours(rng, now - timedelta(days=days_ago))
            complaint = complaint_register(
                store=store, by=specialist, customer=customer, order=customer.orders.first(),
                channel=channel, category=category, severity=severity, content=content,
                received_at=received)
            created += 1
            depth = DEPTHS[i]
            if depth == 0:
                continue
            if depth is None:  # not valid: explained and closed
                complaint_judge(complaint=complaint, by=specialist, valid=False,
                                reason="积分规则以会员手册为准，前台解释有误但规则未变",
                                explanation="已向客户解释积分抵扣规则，并就前台口径不一致致歉",
                                customer_understood=True)
                continue
            complaint_judge(complaint=complaint, by=specialist, valid=True, reason="情况属实",
                            department=responsible_department_for(store, category)
                            or Department.objects.get(store=store,
                                                      kind=DepartmentKind.CUSTOMER_SERVICE),
                            promised_at=now + timedelta(days=rng.randint(1, 3)))
            if depth < 2:
                continue
            responsible = (_people(store, role) or _people(store, Role.SELECTION_CONSULTANT))[0]
            complaint_investigate(complaint=complaint, by=specialist, cause=cause,
                                  responsible_staff=responsible)
            if depth < 3:
                continue
            for kind, description, cost in solutions:
                complaint_propose(complaint=complaint, by=specialist, kind=kind,
                                  description=description, cost=cost)
            if depth < 4:
                continue
            approved = solutions[0]
            complaint_approve(complaint=complaint, by=supervisor,
                              solution=complaint.solutions.get(kind=approved[0]),
                              comment=rng.choice(["最能挽回客户", "成本可控，客户也认可",
                                                  "先解决问题，再谈原因"]))
            if depth < 5:
                continue
            penalties = ([{"staff": responsible, "amount": 100 if severity == "high" else 50,
                           "description": cause[:40]}] if severity != "low" else [])
            complaint_implement(complaint=complaint, by=supervisor, accepted=True,
                                signature_data_url=SIGNATURE,
                                feedback=rng.choice(["处理及时，满意", "态度很好，接受方案",
                                                     "希望以后注意"]),
                                penalties=penalties)
    return {"complaints": created}


def _open_hours(rng: random.Random, moment: datetime) -> datetime:
    """The same day, at a time the store is open (customers complain in the daytime)."""
    day = timezone.localdate(moment)
    return local_slot(day, rng.choice(DESK_TIMES))
