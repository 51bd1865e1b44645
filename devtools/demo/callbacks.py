"""Demo callbacks: a task after every completed service, most of the older ones called back."""
import random
from datetime import datetime, timedelta

from callbacks.models import CallbackStatus, CallbackTask, Channel, Satisfaction
from callbacks.services import _completed_services_without_callback, _post_service_tasks, callback_record
from staff.models import User

COMMENTS = {
    Satisfaction.SATISFIED: ["摄影师很专业，拍得很自然", "化妆师很耐心", "选片顾问服务很好", "整体很满意"],
    Satisfaction.AVERAGE: ["等待时间有点长", "外景点人比较多", "加选价格偏高"],
    Satisfaction.DISSATISFIED: ["取件比约定晚了一周", "照片修图不满意", "服务态度一般"],
}
SUGGESTIONS = ["希望增加更多外景选择", "选片时可以提供茶水", "希望提前一天短信提醒", "", "", ""]


def demo_seed(*, now: datetime, seed: int = 2027) -> dict[str, int]:
    rng = random.Random(seed)
    stages = _completed_services_without_callback().order_by("completed_at", "pk")
    tasks = CallbackTask.objects.bulk_create(_post_service_tasks(stages))
    recorded = 0
    for task in CallbackTask.objects.filter(pk__in=[t.pk for t in tasks]).select_related(
            "customer__assigned_to", "store").order_by("pk"):
        caller = task.assigned_to or User.objects.filter(
            staff_profile__store_id=task.store_id, staff_profile__role="specialist").first()
        if task.due_at > now - timedelta(days=1) or rng.random() < 0.12:
            continue  # still to call, or left overdue for the supervisor's list
        at = min(task.triggered_at + timedelta(hours=rng.randint(20, 60)), now - timedelta(hours=2))
        if rng.random() < 0.1:  # not answered once, then reached
            callback_record(task=task, by=caller, reached=False, channel=Channel.PHONE, now=at)
            task.refresh_from_db()
            at += timedelta(hours=5)
        answer = rng.choices(list(Satisfaction), weights=[75, 18, 7])[0]
        callback_record(task=task, by=caller, reached=True, channel=Channel.PHONE,
                        satisfaction=answer, score={"satisfied": 5, "average": 3,
                                                    "dissatisfied": 2}[answer] - rng.randint(0, 1),
                        comments=rng.choice(COMMENTS[answer]), suggestions=rng.choice(SUGGESTIONS),
                        now=min(at, task.due_at - timedelta(minutes=5)) if rng.random() < 0.85 else at)
        recorded += 1
    overdue = CallbackTask.objects.filter(status=CallbackStatus.PENDING, due_at__lt=now).update(
        status=CallbackStatus.OVERDUE, escalated_at=now)
    return {"callbacks": len(tasks), "callback_records": recorded, "overdue_callbacks": overdue}
