"""Demo complaints at every step of the loop, through the same services the staff use."""
import base64
import random
from datetime import datetime, timedelta

from complaints.models import Complaint
from complaints.services import (
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
    complaint_register,
)
from customers.models import Customer
from staff.models import Department, DepartmentKind, Store, User

SIGNATURE = "data:image/png;base64," + base64.b64encode(
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82").decode()

CASES = [
    ("product_quality", "相册封面有划痕，内页有一张照片颜色偏暗。"),
    ("service_attitude", "选片时顾问一直催促加选，感觉很不舒服。"),
    ("schedule", "约好的外景拍摄临时被改期，没有提前通知。"),
    ("price", "取件时被告知还有额外费用，之前没有说明。"),
    ("product_quality", "精修照片皮肤修得太假，不像本人。"),
    ("other", "停车不方便，店里没有告知附近停车场。"),
]


def demo_seed(*, now: datetime, seed: int = 2028) -> dict[str, int]:
    rng = random.Random(seed)
    store = Store.objects.order_by("code").first()
    if store is None or Complaint.objects.exists():
        return {}
    specialist = User.objects.get(username="specialist1")
    supervisor = User.objects.get(username="supervisor")
    designer = User.objects.filter(staff_profile__store=store, staff_profile__role="designer").first()
    department = Department.objects.get(store=store, kind=DepartmentKind.SELECTION_DESIGN)
    customers = list(Customer.objects.filter(store=store, assigned_to=specialist)[:12])
    created = 0
    for i, customer in enumerate(customers):
        category, content = CASES[i % len(CASES)]
        complaint = complaint_register(
            store=store, by=specialist, customer=customer, channel=rng.choice(
                ["phone", "in_store", "callback", "online_review"]), category=category,
            content=content, received_at=now - timedelta(days=rng.randint(1, 60), hours=i))
        created += 1
        depth = i % 6  # 0 registered … 5 closed
        if depth == 0:
            continue
        if i == 7:  # one judged not valid, explained and closed
            complaint_judge(complaint=complaint, by=specialist, valid=False, reason="套系说明已写明",
                            explanation="已向客户耐心解释套系包含的内容", customer_understood=True)
            continue
        complaint_judge(complaint=complaint, by=specialist, valid=True, reason="情况属实",
                        department=department, promised_at=now + timedelta(days=2))
        if depth >= 2:
            complaint_investigate(complaint=complaint, by=specialist, cause="制作环节质检遗漏",
                                  responsible_staff=designer)
        if depth >= 3:
            complaint_propose(complaint=complaint, by=specialist, kind="remake",
                              description="免费重做相册", cost=300)
            complaint_propose(complaint=complaint, by=specialist, kind="points",
                              description="赠送 500 积分并致歉", cost=50)
        if depth >= 4:
            complaint_approve(complaint=complaint, by=supervisor,
                              solution=complaint.solutions.get(kind="remake"),
                              comment="重做最能挽回客户")
        if depth >= 5:
            complaint_implement(complaint=complaint, by=supervisor, accepted=True,
                                signature_data_url=SIGNATURE, feedback="处理及时，满意",
                                penalties=[{"staff": designer, "amount": 100,
                                            "description": "质检遗漏"}])
    return {"complaints": created}
