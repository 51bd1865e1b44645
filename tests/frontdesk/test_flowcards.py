"""Flow cards （流程卡）: performance credits split as configured, one card per shoot, the
cashier's hand-over; rework （返工）: only a store manager approves."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.flowcards import (
    credit_split,
    flow_card_create,
    flow_cards_list_for_handover,
    performance_credits_for_person,
    performance_summary_for_person,
    performance_totals_for_handover,
    rework_decide,
    rework_done,
    rework_request,
)
from frontdesk.models import FlowCard, PerformanceCredit, Rework, ReworkStatus, ScheduleSettings
from orders.models import StageKind, StageStatus
from orders.services import order_cancel, order_create, stage_complete
from staff.models import Role
from studio.errors import DomainError, TransitionNotAllowed
from tests.factories import CustomerFactory
from tests.xlsx import sections_of

CENT = Decimal("0.01")


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture
def photographer(staff_of):
    return staff_of(Role.PHOTOGRAPHER, user__username="photographer",
                    user__first_name="王摄影").user


@pytest.fixture
def makeup(staff_of):
    return staff_of(Role.MAKEUP_ARTIST, user__username="makeup", user__first_name="李化妆").user


@pytest.fixture
def cashier(staff_of):
    return staff_of(Role.CASHIER, user__username="cashier").user


@pytest.fixture
def shot_order(order, front_desk, photographer, makeup):
    """An order of ¥5,999 with ¥1,000 off whose shoot is done."""
    order.discount = Decimal("1000.00")
    order.save(update_fields=["discount"])
    stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk, assigned_to=photographer,
                   makeup_artist=makeup)
    order.refresh_from_db()
    return order


def _shot_order_of(customer, package, front_desk, photographer, makeup=None):
    order = order_create(customer=customer, package=package, by=front_desk)
    stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk, assigned_to=photographer,
                   makeup_artist=makeup)
    return order


@pytest.fixture
def other_store_order(other_store, package, staff_of):
    desk = staff_of(Role.FRONT_DESK, other_store, user__username="desk2").user
    shooter = staff_of(Role.PHOTOGRAPHER, other_store, user__username="shooter2").user
    customer = CustomerFactory(store=other_store)
    return _shot_order_of(customer, package, desk, shooter)


# ---- the split (no database) ----------------------------------------------------------------

@given(base_cents=st.integers(min_value=0, max_value=10**11),
       photographer_bp=st.integers(min_value=0, max_value=10_000),
       makeup_bp=st.integers(min_value=0, max_value=10_000))
def test_credits_sum_exactly_to_the_configured_part_of_the_base(base_cents, photographer_bp,
                                                                 makeup_bp):
    base = Decimal(base_cents) / 100
    p_share, m_share = Decimal(photographer_bp) / 100, Decimal(makeup_bp) / 100
    split = credit_split(base=base, photographer_share=p_share, makeup_share=m_share)
    exact_total = base * (p_share + m_share) / 100
    assert split.photographer + split.makeup == exact_total.quantize(CENT, "ROUND_HALF_UP")
    assert abs(split.photographer - base * p_share / 100) <= Decimal("0.005")
    assert abs(split.makeup - base * m_share / 100) <= CENT
    assert split.photographer >= 0 and split.makeup >= 0
    assert split.photographer == split.photographer.quantize(CENT)
    assert split.makeup == split.makeup.quantize(CENT)


def test_a_60_40_split_of_an_odd_amount_adds_up_to_the_whole_amount():
    split = credit_split(base=Decimal("4999.99"), photographer_share=Decimal("60"),
                         makeup_share=Decimal("40"))
    assert (split.photographer, split.makeup) == (Decimal("2999.99"), Decimal("2000.00"))
    assert split.total == Decimal("4999.99")


def test_without_a_makeup_artist_only_the_photographers_share_is_credited():
    split = credit_split(base=Decimal("100.00"), photographer_share=Decimal("60"),
                         makeup_share=Decimal("40"), with_makeup=False)
    assert (split.photographer, split.makeup) == (Decimal("60.00"), Decimal("0.00"))


def test_a_rework_already_decided_cannot_be_decided_again():
    rework = Rework(status=ReworkStatus.REJECTED)
    with pytest.raises(TransitionNotAllowed):
        rework.move_to(ReworkStatus.APPROVED)


# ---- flow card services ---------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.clock
def test_a_flow_card_credits_the_agreed_price_split_60_40_by_default(shot_order, front_desk,
                                                                     photographer, makeup):
    card = flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                            makeup_artist=makeup)
    assert card.amount == Decimal("4999.00")  # 5,999 - 1,000 off
    credits = {c.role: c for c in card.credits.all()}
    assert credits[Role.PHOTOGRAPHER].user == photographer
    assert credits[Role.PHOTOGRAPHER].amount == Decimal("2999.40")
    assert credits[Role.MAKEUP_ARTIST].user == makeup
    assert credits[Role.MAKEUP_ARTIST].amount == Decimal("1999.60")
    assert sum(c.amount for c in credits.values()) == card.amount
    shoot = shot_order.stages.get(kind=StageKind.SHOOT)
    assert card.stage == shoot and card.store_id == shot_order.store_id
    assert card.on == timezone.localdate(shoot.completed_at)
    assert all(c.on == card.on for c in credits.values())


@pytest.mark.django_db
def test_a_flow_card_uses_the_stores_configured_shares(store, shot_order, front_desk,
                                                       photographer, makeup):
    ScheduleSettings.objects.create(store=store, photographer_share=Decimal("33.33"),
                                    makeup_share=Decimal("66.67"))
    card = flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                            makeup_artist=makeup)
    amounts = dict(card.credits.values_list("role", "amount"))
    assert amounts == {Role.PHOTOGRAPHER: Decimal("1666.17"), Role.MAKEUP_ARTIST: Decimal("3332.83")}
    assert sum(amounts.values()) == card.amount


@pytest.mark.django_db
def test_a_second_flow_card_for_the_same_shoot_is_refused(shot_order, front_desk, photographer,
                                                          makeup):
    flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                     makeup_artist=makeup)
    with pytest.raises(DomainError, match="不能重复登记") as refused:
        flow_card_create(order=shot_order, by=front_desk, photographer=makeup)
    assert refused.value.code == "flow_card_exists"
    assert FlowCard.objects.count() == 1 and PerformanceCredit.objects.count() == 2


@pytest.mark.django_db
def test_a_flow_card_needs_the_shoot_done(order, front_desk, photographer):
    with pytest.raises(DomainError, match="拍摄尚未登记完成"):
        flow_card_create(order=order, by=front_desk, photographer=photographer)
    assert not FlowCard.objects.exists()


@pytest.mark.django_db
def test_the_shoot_done_action_can_record_the_shoot_and_its_card_together(
        order, front_desk, photographer, makeup):
    stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    card = flow_card_create(order=order, by=front_desk, photographer=photographer,
                            makeup_artist=makeup, complete_shoot=True)
    shoot = order.stages.get(kind=StageKind.SHOOT)
    assert shoot.status == StageStatus.DONE and shoot.assigned_to == photographer
    assert card.stage == shoot and card.credits.count() == 2


@pytest.mark.django_db
def test_completing_the_shoot_with_its_card_keeps_the_stage_order_and_saves_nothing(
        order, front_desk, photographer):
    with pytest.raises(TransitionNotAllowed, match="礼服挑选"):
        flow_card_create(order=order, by=front_desk, photographer=photographer,
                         complete_shoot=True)
    assert order.stages.get(kind=StageKind.SHOOT).status == StageStatus.PENDING
    assert not FlowCard.objects.exists()


@pytest.mark.django_db
def test_without_a_makeup_artist_the_card_credits_the_photographer_only(shot_order, front_desk,
                                                                        photographer):
    card = flow_card_create(order=shot_order, by=front_desk, photographer=photographer)
    assert list(card.credits.values_list("user", "amount")) == [(photographer.pk, Decimal("2999.40"))]


@pytest.mark.django_db
def test_people_from_another_store_cannot_be_credited(shot_order, front_desk, photographer,
                                                      staff_of, other_store):
    outsider = staff_of(Role.MAKEUP_ARTIST, other_store, user__username="outsider").user
    with pytest.raises(ValidationError) as refused:
        flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                         makeup_artist=outsider)
    assert "makeup_artist" in refused.value.error_dict
    assert not FlowCard.objects.exists()


@pytest.mark.django_db
def test_a_cancelled_order_gets_no_flow_card(order, front_desk, photographer):
    order_cancel(order=order, by=front_desk, reason="客户取消")
    with pytest.raises(DomainError, match="已取消"):
        flow_card_create(order=order, by=front_desk, photographer=photographer)


# ---- rework services ------------------------------------------------------------------------

@pytest.fixture
def rework(shot_order, front_desk):
    return rework_request(order=shot_order, by=front_desk, reason="客户对外景照片不满意",
                          items="重拍外景一组")


@pytest.mark.django_db
def test_a_rework_request_waits_for_the_store_manager(rework, front_desk):
    assert rework.status == ReworkStatus.REQUESTED and rework.requested_by == front_desk


@pytest.mark.django_db
def test_a_rework_needs_a_reason_what_is_redone_and_a_done_shoot(order, shot_order, front_desk,
                                                                 customer, package):
    with pytest.raises(ValidationError) as refused:
        rework_request(order=shot_order, by=front_desk, reason="  ", items="")
    assert "reason" in refused.value.error_dict
    fresh = order_create(customer=customer, package=package, by=front_desk)
    with pytest.raises(DomainError, match="拍摄尚未完成"):
        rework_request(order=fresh, by=front_desk, reason="不满意", items="重拍")
    assert not Rework.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["front_desk", "supervisor", "cashier", "photographer",
                                 "other_manager"])
def test_rework_cannot_be_approved_by_a_non_manager(rework, request, who):
    with pytest.raises(PermissionDenied):
        rework_decide(rework=rework, by=request.getfixturevalue(who), approve=True)
    rework.refresh_from_db()
    assert rework.status == ReworkStatus.REQUESTED and rework.decided_by is None


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "general_manager"])
def test_the_store_manager_approves_a_rework(rework, request, who):
    approver = request.getfixturevalue(who)
    decided = rework_decide(rework=rework, by=approver, approve=True, note="安排周六重拍")
    decided.refresh_from_db()
    assert decided.status == ReworkStatus.APPROVED and decided.decided_by == approver
    assert decided.decided_at is not None and decided.decision_note == "安排周六重拍"


@pytest.mark.django_db
def test_a_rejection_says_why(rework, manager):
    with pytest.raises(ValidationError):
        rework_decide(rework=rework, by=manager, approve=False, note="")
    rejected = rework_decide(rework=rework, by=manager, approve=False, note="照片符合样片")
    assert rejected.status == ReworkStatus.REJECTED
    with pytest.raises(TransitionNotAllowed):
        rework_decide(rework=rework, by=manager, approve=True)


@pytest.mark.django_db
def test_only_an_approved_rework_can_be_done(rework, manager, front_desk):
    with pytest.raises(TransitionNotAllowed):
        rework_done(rework=rework, by=front_desk)
    rework_decide(rework=rework, by=manager, approve=True)
    done = rework_done(rework=rework, by=front_desk)
    assert done.status == ReworkStatus.DONE and done.done_at is not None


# ---- selectors ------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.clock
def test_the_handover_lists_the_days_cards_of_the_store_and_each_persons_total(
        store, shot_order, other_store_order, customer, package, front_desk, photographer, makeup,
        cashier, django_assert_num_queries):
    flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                     makeup_artist=makeup)
    second = _shot_order_of(customer, package, front_desk, photographer)
    flow_card_create(order=second, by=front_desk, photographer=photographer)
    flow_card_create(order=other_store_order, by=other_store_order.consultant,
                     photographer=other_store_order.stages.get(kind="shoot").assigned_to)
    today = timezone.localdate()
    with django_assert_num_queries(2):  # the cards, their credits
        cards = list(flow_cards_list_for_handover(cashier, on=today, store_id=store.pk))
        assert [c.order.customer.name for c in cards] == ["张三", "张三"]
        assert [len(c.credits.all()) for c in cards] == [2, 1]
    people = {p.username: p for p in performance_totals_for_handover(cashier, on=today,
                                                                     store_id=store.pk)}
    assert set(people) == {"photographer", "makeup"}
    assert people["photographer"].total == Decimal("2999.40") + Decimal("3599.40")
    assert people["photographer"].cards == 2 and people["makeup"].as_makeup == Decimal("1999.60")
    assert not list(flow_cards_list_for_handover(cashier, on=today - timedelta(days=1),
                                                 store_id=store.pk))


@pytest.mark.django_db
@pytest.mark.clock
def test_a_cashier_sees_no_other_stores_cards(other_store, other_store_order, cashier):
    flow_card_create(order=other_store_order, by=other_store_order.consultant,
                     photographer=other_store_order.stages.get(kind="shoot").assigned_to)
    today = timezone.localdate()
    assert not flow_cards_list_for_handover(cashier, on=today, store_id=other_store.pk).exists()
    assert not performance_totals_for_handover(cashier, on=today, store_id=other_store.pk).exists()


@pytest.mark.django_db
@pytest.mark.clock
def test_a_persons_performance_over_a_period(shot_order, customer, package, front_desk,
                                             photographer, makeup, cashier):
    flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                     makeup_artist=makeup)
    second = _shot_order_of(customer, package, front_desk, makeup)
    flow_card_create(order=second, by=front_desk, photographer=makeup)  # stands in as photographer
    today = timezone.localdate()
    period = {"person": makeup, "start_on": today.replace(day=1), "end_on": today}
    summary = performance_summary_for_person(cashier, **period)
    assert summary == {"total": Decimal("1999.60") + Decimal("3599.40"),
                       "as_photographer": Decimal("3599.40"), "as_makeup": Decimal("1999.60"),
                       "cards": 2}
    assert performance_credits_for_person(cashier, **period).count() == 2
    earlier = {**period, "start_on": today - timedelta(days=40), "end_on": today - timedelta(days=1)}
    assert performance_summary_for_person(cashier, **earlier)["total"] == Decimal("0.00")


# ---- pages ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_front_desk_registers_a_flow_card_from_the_customer_page(
        client, shot_order, front_desk, photographer, makeup):
    client.force_login(front_desk)
    page = client.get(reverse("orders:customer", args=[shot_order.customer_id])).content.decode()
    url = reverse("frontdesk:flowcard_new", args=[shot_order.pk])
    assert url in page and reverse("frontdesk:rework_new", args=[shot_order.pk]) in page
    form = client.get(url)
    assert form.status_code == 200 and "¥4,999.00" in form.content.decode()
    response = client.post(url, {"photographer": photographer.pk, "makeup_artist": makeup.pk})
    assert response.status_code == 302
    card = FlowCard.objects.get(order=shot_order)
    assert card.created_by == front_desk and card.credits.count() == 2
    page = client.get(reverse("orders:customer", args=[shot_order.customer_id])).content.decode()
    assert url not in page  # the card is registered: no link any more


@pytest.mark.django_db
def test_a_second_flow_card_through_the_page_is_a_clear_refusal(client, shot_order, front_desk,
                                                                photographer):
    client.force_login(front_desk)
    url = reverse("frontdesk:flowcard_new", args=[shot_order.pk])
    client.post(url, {"photographer": photographer.pk})
    again = client.post(url, {"photographer": photographer.pk}, follow=True)
    assert again.status_code == 200 and "不能重复登记" in again.content.decode()
    assert FlowCard.objects.count() == 1


@pytest.mark.django_db
def test_bad_flow_card_input_comes_back_as_form_errors(client, shot_order, order, front_desk,
                                                       customer, package, photographer):
    client.force_login(front_desk)
    url = reverse("frontdesk:flowcard_new", args=[shot_order.pk])
    response = client.post(url, {"photographer": "abc", "makeup_artist": "99999"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    fresh = order_create(customer=customer, package=package, by=front_desk)
    not_shot = client.post(reverse("frontdesk:flowcard_new", args=[fresh.pk]),
                           {"photographer": photographer.pk})  # no complete_shoot: refused
    assert not_shot.status_code == 200 and "拍摄尚未登记完成" in not_shot.content.decode()
    assert not FlowCard.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [("cashier", 403), ("photographer", 403),
                                         ("supervisor", 403), ("other_manager", 404)])
def test_only_the_desk_of_the_orders_store_opens_the_flow_card_form(client, shot_order, request,
                                                                    who, status):
    client.force_login(request.getfixturevalue(who))
    url = reverse("frontdesk:flowcard_new", args=[shot_order.pk])
    assert client.get(url).status_code == status
    assert client.post(url, {"photographer": 1}).status_code == status
    assert not FlowCard.objects.exists()


@pytest.mark.django_db
@pytest.mark.clock
def test_the_cashiers_handover_page_and_export(client, shot_order, front_desk, photographer,
                                               makeup, cashier):
    flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                     makeup_artist=makeup)
    client.force_login(cashier)
    url = reverse("frontdesk:handover")
    page = client.get(url).content.decode()
    assert "王摄影" in page and "¥2,999.40" in page and "¥1,999.60" in page and "¥4,999.00" in page
    response = client.get(url, {"on": timezone.localdate().isoformat(), "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sections = sections_of(response)  # a sheet a table: 流程卡, 个人业绩
    assert list(sections) == ["流程卡", "个人业绩"]
    values = [[c for c in row if c is not None] for row in sections["个人业绩"]]
    assert ["王摄影", 1, 2999.4, 0, 2999.4] in values
    assert ["李化妆", 1, 0, 1999.6, 1999.6] in values


@pytest.mark.django_db
def test_the_handover_page_takes_a_fixed_number_of_queries(
        client, shot_order, customer, package, front_desk, photographer, makeup, cashier,
        django_assert_num_queries):
    flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                     makeup_artist=makeup)
    client.force_login(cashier)
    url = reverse("frontdesk:handover")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        flow_card_create(order=_shot_order_of(customer, package, front_desk, photographer),
                         by=front_desk, photographer=photographer, makeup_artist=makeup)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.clock
def test_bad_handover_and_performance_input_is_reported_not_a_500(client, cashier, photographer):
    client.force_login(cashier)
    response = client.get(reverse("frontdesk:handover"), {"on": "2024-13-45", "store": "x"})
    assert response.status_code == 400 and "is-invalid" in response.content.decode()
    today = timezone.localdate()
    response = client.get(reverse("frontdesk:performance"), {
        "person": photographer.pk, "start_on": today.isoformat(),
        "end_on": (today - timedelta(days=3)).isoformat()})
    assert response.status_code == 200 and "结束日期不能早于开始日期" in response.content.decode()
    response = client.get(reverse("frontdesk:performance"), {"person": "zz", "start_on": "x"})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.clock
def test_the_performance_page_shows_a_persons_total(client, shot_order, front_desk,
                                                    photographer, makeup, cashier):
    flow_card_create(order=shot_order, by=front_desk, photographer=photographer,
                     makeup_artist=makeup)
    client.force_login(cashier)
    today = timezone.localdate()
    response = client.get(reverse("frontdesk:performance"), {
        "person": makeup.pk, "start_on": today.replace(day=1).isoformat(),
        "end_on": today.isoformat()})
    assert response.status_code == 200 and "¥1,999.60" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["photographer", "specialist"])
def test_people_without_the_permission_get_403_on_the_handover(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("frontdesk:handover")).status_code == 403
    assert client.get(reverse("frontdesk:performance")).status_code == 403


@pytest.mark.django_db
def test_a_rework_goes_from_request_to_approval_to_done_through_the_pages(
        client, shot_order, front_desk, manager):
    client.force_login(front_desk)
    response = client.post(reverse("frontdesk:rework_new", args=[shot_order.pk]),
                           {"items": "重修 5 张", "reason": "肤色偏黄"})
    rework = Rework.objects.get(order=shot_order)
    assert response.status_code == 302 and response.url == reverse("frontdesk:rework", args=[rework.pk])
    detail = client.get(response.url).content.decode()
    assert "等待店长审批" in detail and 'data-testid="decide-form"' not in detail
    refused = client.post(reverse("frontdesk:rework_decide", args=[rework.pk]),
                          {"decision": "approve"})
    assert refused.status_code == 403
    client.force_login(manager)
    assert 'data-testid="decide-form"' in client.get(response.url).content.decode()
    no_reason = client.post(reverse("frontdesk:rework_decide", args=[rework.pk]),
                            {"decision": "reject", "note": ""})
    assert no_reason.status_code == 200 and "不批准时请填写原因" in no_reason.content.decode()
    approved = client.post(reverse("frontdesk:rework_decide", args=[rework.pk]),
                           {"decision": "approve", "note": "周六重修"})
    assert approved.status_code == 302
    client.force_login(front_desk)
    assert client.post(reverse("frontdesk:rework_done", args=[rework.pk])).status_code == 302
    rework.refresh_from_db()
    assert rework.status == ReworkStatus.DONE and rework.decided_by == manager


@pytest.mark.django_db
def test_bad_rework_input_comes_back_as_form_errors(client, shot_order, front_desk, manager,
                                                    customer, package):
    client.force_login(front_desk)
    empty = client.post(reverse("frontdesk:rework_new", args=[shot_order.pk]), {"items": "", "reason": ""})
    assert empty.status_code == 200 and "is-invalid" in empty.content.decode()
    fresh = order_create(customer=customer, package=package, by=front_desk)
    not_shot = client.post(reverse("frontdesk:rework_new", args=[fresh.pk]),
                           {"items": "重拍", "reason": "不满意"})
    assert not_shot.status_code == 200 and "拍摄尚未完成" in not_shot.content.decode()
    rework = rework_request(order=shot_order, by=front_desk, reason="不满意", items="重拍")
    done_too_early = client.post(reverse("frontdesk:rework_done", args=[rework.pk]), follow=True)
    assert done_too_early.status_code == 200 and "不能再办理" in done_too_early.content.decode()
    client.force_login(manager)
    bogus = client.post(reverse("frontdesk:rework_decide", args=[rework.pk]), {"decision": "maybe"})
    assert bogus.status_code == 200
    assert client.get(reverse("frontdesk:reworks"), {"status": "bogus", "page": "x"}).status_code == 200
    assert not Rework.objects.exclude(pk=rework.pk).exists()


@pytest.mark.django_db
def test_another_stores_rework_answers_404(client, other_store_order, other_manager, manager):
    desk = other_store_order.consultant
    rework = rework_request(order=other_store_order, by=desk, reason="不满意", items="重拍")
    client.force_login(manager)
    assert client.get(reverse("frontdesk:rework", args=[rework.pk])).status_code == 404
    assert client.post(reverse("frontdesk:rework_decide", args=[rework.pk]),
                       {"decision": "approve"}).status_code == 404
    assert client.get(reverse("frontdesk:rework_new", args=[other_store_order.pk])).status_code == 404
    rework.refresh_from_db()
    assert rework.status == ReworkStatus.REQUESTED
    client.force_login(other_manager)
    assert client.get(reverse("frontdesk:rework", args=[rework.pk])).status_code == 200


@pytest.mark.django_db
def test_the_rework_list_takes_a_fixed_number_of_queries(client, shot_order, front_desk,
                                                         customer, package, photographer,
                                                         django_assert_num_queries):
    rework_request(order=shot_order, by=front_desk, reason="不满意", items="重拍")
    client.force_login(front_desk)
    url = reverse("frontdesk:reworks")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        rework_request(order=_shot_order_of(customer, package, front_desk, photographer),
                       by=front_desk, reason="不满意", items="重修")
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("重修") == 3
