"""The member pages: list, member page with its actions, card issue, segments, cashback, admin.

Each role sees only its part (a specialist their own customers' members, a manager their store);
every action goes through its service, and bad input comes back as a form error with nothing
written."""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from membership.models import (
    CardEvent,
    CardStatus,
    CashbackStatus,
    MemberAccount,
    MemberCard,
    MembershipPolicy,
    MemberTier,
    PointsEntry,
    PointsKind,
    ReferralCashback,
    ReferralReward,
    Segment,
)
from membership.services import member_card_revoke, points_redeem, segment_save
from orders.services import order_create, payment_record
from studio.models import AuditAction, AuditEntry
from tests.factories import CustomerFactory
from tests.membership.factories import MemberAccountFactory
from tests.xlsx import rows_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(customer, front_desk) -> MemberAccount:
    return MemberAccountFactory(customer=customer, number="VIP0001", by=front_desk)


def _pay(capture, order, by, amount, kind="deposit"):
    """A payment, with its on-commit signal run: members earn points through it."""
    with capture(execute=True):
        return payment_record(order=order, kind=kind, amount=Decimal(amount), received_by=by)


@pytest.fixture
def earned(member, order, front_desk, django_capture_on_commit_callbacks) -> MemberAccount:
    """The member paid a ¥2,000 deposit: 2,000 points on the first tier."""
    _pay(django_capture_on_commit_callbacks, order, front_desk, "2000")
    member.refresh_from_db()
    assert member.points_balance == 2000
    return member


def _make_member(store, number, *, assigned_to=None, name=None, by) -> MemberAccount:
    customer = CustomerFactory(store=store, assigned_to=assigned_to, **({"name": name} if name else {}))
    return MemberAccountFactory(customer=customer, number=number, by=by)


def _detail(account):
    return reverse("membership:detail", args=[account.pk])


def _action(account, name):
    return reverse("membership:action", args=[account.pk, name])


def _names(response) -> set[str]:
    return {m.customer.name for m in response.context["rows"]}


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    return rows_of(response)


# ---- the list ------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["specialist", "supervisor", "front_desk", "manager",
                                 "general_manager"])
def test_every_member_role_opens_the_member_list(client, request, member, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("membership:list"))
    assert response.status_code == 200
    assert _names(response) == {"张三"}
    assert "VIP0001" in response.content.decode()


def test_roles_without_membership_cannot_open_the_list(client, staff_of, member):
    client.force_login(staff_of("photographer").user)
    assert client.get(reverse("membership:list")).status_code == 403


def test_a_specialist_sees_only_members_among_their_own_customers(
        client, specialist, other_specialist, store, member, front_desk):
    theirs = _make_member(store, "VIP0002", assigned_to=other_specialist, name="李四",
                          by=front_desk)
    client.force_login(specialist)
    assert _names(client.get(reverse("membership:list"))) == {"张三"}
    assert client.get(_detail(theirs)).status_code == 404
    assert client.get(_detail(member)).status_code == 200


def test_another_stores_member_answers_404_and_nothing_is_written(
        client, other_manager, earned):
    client.force_login(other_manager)
    assert _names(client.get(reverse("membership:list"))) == set()
    assert client.get(_detail(earned)).status_code == 404
    response = client.post(_action(earned, "redeem"), {"points": "100", "note": "相框"})
    assert response.status_code == 404
    assert not earned.entries.filter(kind=PointsKind.REDEEM).exists()


def test_a_general_manager_sees_every_stores_members(client, general_manager, other_store,
                                                     member, front_desk):
    elsewhere = _make_member(other_store, "VIP0900", name="王五", by=front_desk)
    client.force_login(general_manager)
    assert _names(client.get(reverse("membership:list"))) == {"张三", "王五"}
    assert client.get(_detail(elsewhere)).status_code == 200


@pytest.fixture
def members_of_all_kinds(store, member, supervisor, front_desk):
    gold = _make_member(store, "VIP0002", name="李四", by=front_desk)
    gold.tier = MemberTier.objects.get(name="金卡")
    gold.save(update_fields=["tier"])
    gone = _make_member(store, "VIP0003", name="王五", by=front_desk)
    member_card_revoke(card=gone.cards.get(), by=supervisor, reason="客户要求退卡")
    return {"gold": gold, "gone": gone}


@pytest.mark.parametrize(("query", "expected"), [
    ({}, {"张三", "李四", "王五"}),
    ({"q": "李四"}, {"李四"}),
    ({"q": "张"}, {"张三"}),
    ({"card": "active"}, {"张三", "李四"}),
    ({"card": "revoked"}, {"王五"}),
    ({"card": "none"}, {"王五"}),
    ({"card": "expired"}, set()),
])
def test_the_member_list_searches_and_filters(client, supervisor, members_of_all_kinds, query,
                                               expected):
    client.force_login(supervisor)
    response = client.get(reverse("membership:list"), query)
    assert response.status_code == 200
    assert _names(response) == expected


def test_the_member_list_filters_by_tier_and_mobile(client, supervisor, members_of_all_kinds):
    client.force_login(supervisor)
    gold = members_of_all_kinds["gold"]
    tier = MemberTier.objects.get(name="金卡")
    assert _names(client.get(reverse("membership:list"), {"tier": tier.pk})) == {"李四"}
    mobile = gold.customer.mobile
    assert _names(client.get(reverse("membership:list"), {"q": mobile})) == {"李四"}
    assert _names(client.get(reverse("membership:list"), {"q": mobile[-4:]})) == {"李四"}


def test_a_bad_filter_shows_an_error_not_a_500(client, supervisor, member):
    client.force_login(supervisor)
    response = client.get(reverse("membership:list"), {"tier": "abc", "card": "stolen"})
    assert response.status_code == 200
    assert response.context["form"].errors and _names(response) == set()
    assert "筛选条件有误" in response.content.decode()


def test_the_member_list_uses_a_fixed_number_of_queries(
        client, supervisor, store, package, member, front_desk,
        django_capture_on_commit_callbacks, django_assert_num_queries):
    client.force_login(supervisor)
    url = reverse("membership:list")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(6):
        account = _make_member(store, f"VIP1{i:03d}", assigned_to=supervisor, by=front_desk)
        order = order_create(customer=account.customer, package=package, by=front_desk)
        _pay(django_capture_on_commit_callbacks, order, front_desk, "500")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["rows"]) == 7


def test_the_member_list_exports_with_its_filters_and_is_audited(
        client, supervisor, members_of_all_kinds):
    client.force_login(supervisor)
    response = client.get(reverse("membership:list"), {"card": "active", "export": "xlsx"})
    rows = _sheet(response)
    assert rows[0][0] == "客户"
    assert sorted(r[0][:2] for r in rows[1:]) == ["张三", "李四"]
    assert any(r[5] == "VIP0001" and r[6] == "有效" for r in rows[1:])
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=supervisor).exists()


def test_a_specialist_cannot_export_members(client, specialist, member):
    client.force_login(specialist)
    assert client.get(reverse("membership:list"), {"export": "xlsx"}).status_code == 403


# ---- the member page -----------------------------------------------------------------------

def test_the_member_page_shows_tier_progress_cards_and_ledger(client, specialist, earned):
    client.force_login(specialist)
    response = client.get(_detail(earned))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["progress"]["next"].name == "银卡"
    assert response.context["progress"]["needed"] == Decimal("8000.00")
    assert response.context["progress"]["percent"] == 20
    assert 'data-testid="points-balance">2000<' in html
    assert "VIP0001" in html and "发卡" in html and "+2000" in html and "消费积分" in html
    assert [e.kind for e in response.context["page"].object_list] == [PointsKind.EARN]
    assert AuditEntry.objects.filter(action=AuditAction.VIEW_CUSTOMER, actor=specialist,
                                     object_id=str(earned.customer_id)).exists()


def test_a_specialist_sees_the_member_page_without_desk_actions(client, specialist, member):
    client.force_login(specialist)
    html = client.get(_detail(member)).content.decode()
    assert 'data-testid="redeem-form"' not in html and 'data-testid="adjust-form"' not in html
    assert 'data-testid="revoke-form"' not in html


def test_the_ledger_is_newest_first_and_paginated(client, supervisor, earned):
    for i in range(25):
        points_redeem(account=earned, points=1, by=supervisor, note=f"小礼品{i}")
    client.force_login(supervisor)
    response = client.get(_detail(earned))
    entries = list(response.context["page"].object_list)
    assert len(entries) == 20 and entries[0].note == "小礼品24"
    second = client.get(_detail(earned), {"page": 2})
    assert [e.kind for e in second.context["page"].object_list][-1] == PointsKind.EARN


def test_the_member_page_uses_a_fixed_number_of_queries(
        client, supervisor, store, member, package, front_desk,
        django_capture_on_commit_callbacks, django_assert_num_queries):
    client.force_login(supervisor)

    def add(i):  # an entry, a card with history, a referred customer with an order
        friend = CustomerFactory(store=store, referrer=member.customer)
        order = order_create(customer=friend, package=package, by=front_desk)
        _pay(django_capture_on_commit_callbacks, order, front_desk, "100")
        points_redeem(account=member, points=10, by=front_desk, note="礼品")
        client.post(_action(member, "lost"), {"number": f"VIP0{i + 2}"})

    add(0)
    with CaptureQueriesContext(connection) as one:
        client.get(_detail(member))
    first = len(one.captured_queries)  # read now: the next request clears the query log
    add(1)
    add(2)
    with django_assert_num_queries(first):
        response = client.get(_detail(member))
    assert len(response.context["cards"]) == 4 and len(response.context["referred"]) == 3


def test_after_a_refused_action_the_ledger_pages_still_link_to_the_member_page(
        client, supervisor, earned):
    for i in range(21):
        points_redeem(account=earned, points=1, by=supervisor, note=f"小礼品{i}")
    client.force_login(supervisor)
    response = client.post(_action(earned, "redeem"), {"points": "0", "note": "x"})
    assert response.status_code == 400
    assert f'href="{_detail(earned)}?page=2#ledger"' in response.content.decode()


def test_reaching_a_threshold_shows_the_new_tier_on_the_page(
        client, supervisor, member, order, front_desk, django_capture_on_commit_callbacks):
    # Money in never exceeds what is owed: the ¥12,000 is paid on an order of ¥15,000.
    order = order_create(customer=member.customer, package=order.package, by=front_desk,
                         amount=Decimal("15000"))
    _pay(django_capture_on_commit_callbacks, order, front_desk, "12000")
    client.force_login(supervisor)
    response = client.get(_detail(member))
    assert response.context["account"].tier.name == "银卡"
    assert response.context["progress"]["next"].name == "金卡"
    assert "升级" in response.content.decode()  # the card's history


# ---- redeem and adjust through the page ------------------------------------------------------

def test_the_front_desk_redeems_points(client, front_desk, earned):
    client.force_login(front_desk)
    response = client.post(_action(earned, "redeem"), {"points": "500", "note": "相框一个"})
    assert response.status_code == 302 and response.url == _detail(earned)
    earned.refresh_from_db()
    assert earned.points_balance == 1500
    entry = earned.entries.get(kind=PointsKind.REDEEM)
    assert (entry.points, entry.balance_after, entry.note, entry.by) == (-500, 1500, "相框一个",
                                                                         front_desk)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"points": "2001", "note": "升级套系"}, "points", "积分余额不足"),
    ({"points": "0", "note": "相框"}, "points", ""),
    ({"points": "-5", "note": "相框"}, "points", ""),
    ({"points": "abc", "note": "相框"}, "points", ""),
    ({"points": "100", "note": "  "}, "note", ""),
])
def test_a_bad_redemption_shows_the_error_and_writes_nothing(client, front_desk, earned, data,
                                                              field, message):
    client.force_login(front_desk)
    response = client.post(_action(earned, "redeem"), data)
    assert response.status_code == 400
    form = response.context["redeem_form"]
    assert form.errors[field]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert 'class="invalid-feedback d-block"' in html
    earned.refresh_from_db()
    assert earned.points_balance == 2000 and earned.entries.count() == 1


def test_a_supervisor_adjusts_points_with_a_reason(client, supervisor, earned):
    client.force_login(supervisor)
    assert client.post(_action(earned, "adjust"), {"points": "-300", "reason": "重复积分"}
                       ).status_code == 302
    assert client.post(_action(earned, "adjust"), {"points": "50", "reason": "活动补偿"}
                       ).status_code == 302
    earned.refresh_from_db()
    assert earned.points_balance == 1750
    assert list(earned.entries.filter(kind=PointsKind.ADJUST).order_by("pk")
                .values_list("points", "note")) == [(-300, "重复积分"), (50, "活动补偿")]


@pytest.mark.parametrize("who", ["specialist", "front_desk"])
def test_only_supervisors_and_managers_adjust_points(client, request, earned, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(_action(earned, "adjust"), {"points": "100", "reason": "送积分"})
    assert response.status_code == 403
    assert earned.entries.count() == 1


def test_a_specialist_cannot_redeem_or_change_cards(client, specialist, earned):
    client.force_login(specialist)
    assert client.post(_action(earned, "redeem"), {"points": "1", "note": "x"}).status_code == 403
    assert client.post(_action(earned, "revoke"), {"reason": "x"}).status_code == 403
    assert earned.entries.count() == 1 and earned.cards.get().status == CardStatus.ACTIVE


@pytest.mark.parametrize(("data", "field"), [
    ({"points": "0", "reason": "无"}, "points"),
    ({"points": "100", "reason": ""}, "reason"),
    ({"points": "-2001", "reason": "扣回"}, "points"),
    ({"points": "1.5", "reason": "扣回"}, "points"),
])
def test_a_bad_adjustment_shows_the_error_and_writes_nothing(client, supervisor, earned, data,
                                                              field):
    client.force_login(supervisor)
    response = client.post(_action(earned, "adjust"), data)
    assert response.status_code == 400
    assert response.context["adjust_form"].errors[field]
    earned.refresh_from_db()
    assert earned.points_balance == 2000 and earned.entries.count() == 1


def test_an_unknown_action_answers_404(client, supervisor, member):
    client.force_login(supervisor)
    assert client.post(_action(member, "delete"), {}).status_code == 404
    assert client.get(_action(member, "redeem")).status_code == 405


# ---- cards: issue, lost, revoke ----------------------------------------------------------------

def test_the_front_desk_issues_a_card_from_the_customer_page(client, front_desk, customer):
    client.force_login(front_desk)
    page = client.get(reverse("orders:customer", args=[customer.pk])).content.decode()
    assert 'data-testid="issue-card"' in page and "尚未入会" in page
    url = reverse("membership:issue") + f"?customer={customer.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"number": "VIP8001", "expires_on": "2099-12-31"})
    account = MemberAccount.objects.get(customer=customer)
    assert response.status_code == 302 and response.url == _detail(account)
    card = account.cards.get()
    assert (card.number, card.status, card.issued_by, str(card.expires_on)) == (
        "VIP8001", CardStatus.ACTIVE, front_desk, "2099-12-31")
    customer.refresh_from_db()
    assert customer.is_vip
    page = client.get(reverse("orders:customer", args=[customer.pk])).content.decode()
    assert "VIP8001" in page and 'data-testid="issue-card"' not in page
    assert _detail(account) in page


@pytest.mark.parametrize(("data", "message"), [
    ({"number": "VIP0001"}, "该卡号已被使用"),
    ({"number": ""}, ""),
    ({"number": "VIP-01"}, "字母或数字"),
    ({"number": "VIP9", "expires_on": "2000-01-01"}, "不能早于今天"),
    ({"number": "VIP9", "expires_on": "31/12/2099"}, ""),
])
def test_a_bad_card_issue_shows_the_error_and_writes_nothing(client, front_desk, store, member,
                                                             data, message):
    other = CustomerFactory(store=store, name="李四")
    client.force_login(front_desk)
    response = client.post(reverse("membership:issue") + f"?customer={other.pk}", data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors.get("number", [])
                               + response.context["form"].errors.get("expires_on", []))
    assert not MemberAccount.objects.filter(customer=other).exists()
    assert MemberCard.objects.count() == 1


def test_a_member_with_an_active_card_is_not_issued_another(client, front_desk, member):
    client.force_login(front_desk)
    url = reverse("membership:issue") + f"?customer={member.customer_id}"
    assert 'data-testid="has-card"' in client.get(url).content.decode()
    response = client.post(url, {"number": "VIP0002"})
    assert response.status_code == 400 and "已有有效的会员卡" in response.content.decode()
    assert member.cards.count() == 1


@pytest.mark.parametrize(("who", "status"), [("other_manager", 404), ("specialist", 403)])
def test_issuing_needs_scope_and_permission(client, request, customer, who, status):
    client.force_login(request.getfixturevalue(who))
    url = reverse("membership:issue") + f"?customer={customer.pk}"
    assert client.post(url, {"number": "VIP7001"}).status_code == status
    assert not MemberCard.objects.exists()


def test_the_issue_page_finds_customers_in_scope(client, front_desk, customer, other_store):
    CustomerFactory(store=other_store, name="张四")
    client.force_login(front_desk)
    response = client.get(reverse("membership:issue"), {"q": "张"})
    assert [c.name for c in response.context["found"]] == ["张三"]
    assert client.get(reverse("membership:issue"), {"customer": "x"}).status_code == 404


def test_a_lost_card_is_replaced_through_the_page(client, front_desk, earned):
    client.force_login(front_desk)
    response = client.post(_action(earned, "lost"), {"number": "VIP0002", "reason": "钱包丢失"})
    assert response.status_code == 302
    old, new = earned.cards.get(number="VIP0001"), earned.cards.get(number="VIP0002")
    assert old.status == CardStatus.LOST and old.end_reason == "钱包丢失"
    assert new.status == CardStatus.ACTIVE and new.replaces == old
    assert list(CardEvent.objects.filter(card__account=earned).order_by("pk")
                .values_list("action", flat=True)) == ["issue", "lost", "reissue"]
    earned.refresh_from_db()
    assert earned.points_balance == 2000  # the points stay with the member
    html = client.get(_detail(earned)).content.decode()
    assert "挂失" in html and "补办" in html and "VIP0002" in html


def test_a_replacement_with_a_used_number_is_refused(client, front_desk, store, earned):
    _make_member(store, "VIP0555", by=front_desk)
    client.force_login(front_desk)
    response = client.post(_action(earned, "lost"), {"number": "VIP0555"})
    assert response.status_code == 400
    assert "该卡号已被使用" in " ".join(response.context["lost_form"].errors["number"])
    assert earned.cards.get().status == CardStatus.ACTIVE


def test_a_card_is_revoked_with_a_reason(client, front_desk, earned):
    client.force_login(front_desk)
    response = client.post(_action(earned, "revoke"), {"reason": ""})
    assert response.status_code == 400 and response.context["revoke_form"].errors["reason"]
    assert earned.cards.get().status == CardStatus.ACTIVE
    assert client.post(_action(earned, "revoke"), {"reason": "客户退会"}).status_code == 302
    card = earned.cards.get()
    assert card.status == CardStatus.REVOKED and card.end_reason == "客户退会"
    assert not Customer.objects.get(pk=earned.customer_id).is_vip
    # nothing left to revoke or replace: the refusal is shown, nothing changes
    response = client.post(_action(earned, "lost"), {"number": "VIP0003"})
    assert response.status_code == 400 and "没有有效的会员卡" in response.content.decode()
    assert earned.cards.count() == 1
    # a new card on the same account, points kept
    url = reverse("membership:issue") + f"?customer={earned.customer_id}"
    assert client.post(url, {"number": "VIP0003"}).status_code == 302
    earned.refresh_from_db()
    assert earned.cards.count() == 2 and earned.points_balance == 2000


# ---- referrals and cashback --------------------------------------------------------------------

@pytest.fixture
def referred(store, customer, specialist, package, front_desk, django_capture_on_commit_callbacks):
    """张三 referred 李四, who booked and paid a deposit."""
    friend = CustomerFactory(store=store, name="李四", referrer=customer, assigned_to=specialist)
    order = order_create(customer=friend, package=package, by=front_desk)
    _pay(django_capture_on_commit_callbacks, order, front_desk, "1000")
    return order


def test_the_member_page_shows_the_referral_tree_and_the_points_earned(
        client, specialist, member, referred, store, front_desk):
    boss = CustomerFactory(store=store, name="赵六", assigned_to=specialist)
    Customer.objects.filter(pk=member.customer_id).update(referrer=boss)
    client.force_login(specialist)
    response = client.get(_detail(member))
    html = response.content.decode()
    assert response.context["referrer"] == boss and response.context["referrer_visible"]
    assert [c.name for c in response.context["referred"]] == ["李四"]
    assert response.context["referral_points"] == 500
    assert "赵六" in html and "李四" in html and "+500" in html and "转介绍积分" in html


def test_referred_customers_outside_the_viewers_scope_are_only_counted(
        client, specialist, other_specialist, member, referred):
    Customer.objects.filter(pk=referred.customer_id).update(assigned_to=other_specialist)
    client.force_login(specialist)
    response = client.get(_detail(member))
    assert response.context["referred"] == [] and response.context["referred_hidden"] == 1
    # (the ledger's own note still says whom the points were for)
    assert reverse("orders:customer", args=[referred.customer_id]) not in response.content.decode()


@pytest.fixture
def cashback(store, customer, referred) -> ReferralCashback:
    """张三 is not a member: the store's rule gives referrers cashback."""
    return ReferralCashback.objects.get(order=referred)


def test_cashback_is_owed_to_a_non_member_referrer_and_paid_by_a_supervisor(
        client, supervisor, front_desk, cashback):
    client.force_login(front_desk)
    response = client.get(reverse("membership:cashbacks"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [cashback]
    assert response.context["totals"]["owed"] == Decimal("200.00")
    assert client.post(reverse("membership:cashback_paid", args=[cashback.pk])).status_code == 403
    client.force_login(supervisor)
    response = client.post(reverse("membership:cashback_paid", args=[cashback.pk]),
                           {"next": reverse("membership:cashbacks") + "?status=all"})
    assert response.status_code == 302 and response.url.endswith("?status=all")
    cashback.refresh_from_db()
    assert cashback.status == CashbackStatus.PAID and cashback.paid_by == supervisor
    paid_at = cashback.paid_at
    response = client.post(reverse("membership:cashback_paid", args=[cashback.pk]), follow=True)
    assert "已支付" in response.content.decode()
    cashback.refresh_from_db()
    assert cashback.paid_at == paid_at
    assert list(client.get(reverse("membership:cashbacks")).context["page"].object_list) == []
    paid = client.get(reverse("membership:cashbacks"), {"status": "paid"})
    assert list(paid.context["page"].object_list) == [cashback]


def test_cashback_is_scoped_and_refused_to_specialists(client, specialist, other_manager,
                                                       cashback):
    client.force_login(specialist)
    assert client.get(reverse("membership:cashbacks")).status_code == 403
    client.force_login(other_manager)
    assert list(client.get(reverse("membership:cashbacks")).context["page"].object_list) == []
    assert client.post(reverse("membership:cashback_paid", args=[cashback.pk])).status_code == 404
    cashback.refresh_from_db()
    assert cashback.status == CashbackStatus.OWED


def test_a_store_rule_of_cashback_shows_on_the_members_page(
        client, supervisor, store, member, package, front_desk,
        django_capture_on_commit_callbacks):
    MembershipPolicy.objects.create(store=store, referral_reward=ReferralReward.CASHBACK,
                                    referral_cashback=Decimal("300"))
    friend = CustomerFactory(store=store, name="李四", referrer=member.customer)
    order = order_create(customer=friend, package=package, by=front_desk)
    _pay(django_capture_on_commit_callbacks, order, front_desk, "1000")
    client.force_login(supervisor)
    response = client.get(_detail(member))
    assert response.context["cashbacks"]["owed"] == Decimal("300.00")
    assert "¥300.00" in response.content.decode()


def test_the_cashback_list_uses_a_fixed_number_of_queries(
        client, supervisor, store, customer, package, front_desk, cashback,
        django_capture_on_commit_callbacks, django_assert_num_queries):
    client.force_login(supervisor)
    url = reverse("membership:cashbacks")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        friend = CustomerFactory(store=store, referrer=customer)
        order = order_create(customer=friend, package=package, by=front_desk)
        _pay(django_capture_on_commit_callbacks, order, front_desk, "100")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 5


# ---- segments -------------------------------------------------------------------------------

@pytest.fixture
def segment_world(store, customer, member, package, front_desk, supervisor,
                  django_capture_on_commit_callbacks):
    """张三: a VIP with an order this month; 李四: not a member, June wedding, no orders."""
    order = order_create(customer=customer, package=package, by=front_desk)
    _pay(django_capture_on_commit_callbacks, order, front_desk, "3000")
    CustomerFactory(store=store, name="李四", assigned_to=supervisor,
                    wedding_on=timezone.localdate().replace(month=6, day=1))
    return store


@pytest.mark.clock
def test_a_supervisor_previews_and_saves_a_segment(client, supervisor, segment_world):
    client.force_login(supervisor)
    url = reverse("membership:segments")
    data = {"name": "VIP 老客户", "vip_only": "on", "min_spend": "1000", "min_orders": "1",
            "action": "preview"}
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["preview"] == 1
    assert not Segment.objects.exists()
    response = client.post(url, {**data, "action": "save"})
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.store == segment_world and segment.created_by == supervisor
    assert segment.conditions == {"vip_only": True, "min_spend": "1000", "min_orders": 1}
    response = client.get(url)
    assert [(s.name, n) for s, n, _words in response.context["rows"]] == [("VIP 老客户", 1)]
    html = response.content.decode()
    assert f"{reverse('callbacks:campaigns')}?segment={segment.pk}" in html
    assert "仅 VIP" in html


@pytest.mark.clock
def test_a_segment_is_updated_through_its_edit_form(client, supervisor, segment_world):
    segment = segment_save(store=segment_world, name="六月婚期", conditions={"wedding_month": 5},
                           by=supervisor)
    client.force_login(supervisor)
    url = reverse("membership:segments") + f"?edit={segment.pk}"
    form = client.get(url).context["form"]
    assert form.initial["wedding_month"] == 5 and form.fields["name"].disabled
    response = client.post(url, {"name": "别的名字", "wedding_month": "6", "action": "save"})
    assert response.status_code == 302
    assert list(Segment.objects.values_list("name", "conditions")) == [
        ("六月婚期", {"wedding_month": 6})]
    rows = client.get(reverse("membership:segments")).context["rows"]
    assert rows[0][1] == 1  # 李四


@pytest.mark.parametrize(("data", "field"), [
    ({"name": ""}, "name"),
    ({"name": "x", "wedding_month": "13"}, "wedding_month"),
    ({"name": "x", "min_spend": "-1"}, "min_spend"),
    ({"name": "x", "active_within_days": "30", "idle_days": "90"}, "idle_days"),
    ({"name": "x", "stage": "nowhere"}, "stage"),
    ({"name": "x", "tier": "999"}, "tier"),
])
@pytest.mark.clock
def test_bad_segment_conditions_show_errors_and_save_nothing(client, supervisor, segment_world,
                                                             data, field):
    client.force_login(supervisor)
    response = client.post(reverse("membership:segments"), {**data, "action": "save"})
    assert response.status_code == 400 and response.context["form"].errors[field]
    assert not Segment.objects.exists()


@pytest.mark.clock
def test_segments_count_within_the_viewers_scope(client, specialist, supervisor, segment_world):
    segment_save(store=segment_world, name="全部客户", conditions={}, by=supervisor)
    client.force_login(specialist)
    response = client.get(reverse("membership:segments"))
    assert [n for _s, n, _w in response.context["rows"]] == [1]  # only 张三 is theirs
    assert client.post(reverse("membership:segments"),
                       {"name": "mine", "action": "save"}).status_code == 403
    client.force_login(supervisor)
    assert [n for _s, n, _w in client.get(reverse("membership:segments")).context["rows"]] == [2]


@pytest.mark.clock
def test_another_stores_segments_are_not_shown_or_exported(client, other_manager, supervisor,
                                                           segment_world):
    segment = segment_save(store=segment_world, name="全部客户", conditions={}, by=supervisor)
    client.force_login(other_manager)
    assert client.get(reverse("membership:segments")).context["rows"] == []
    assert client.get(reverse("membership:segments"), {"export": segment.pk}).status_code == 404
    assert client.get(reverse("membership:segments"), {"edit": "x"}).status_code == 404


@pytest.mark.clock
def test_the_segment_list_counts_every_segment_in_one_query(
        client, supervisor, segment_world, django_assert_num_queries):
    segment_save(store=segment_world, name="a", conditions={"vip_only": True}, by=supervisor)
    client.force_login(supervisor)
    url = reverse("membership:segments")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    tier = MemberTier.objects.get(name="普通")
    for name, conditions in [("b", {"min_spend": "100"}), ("c", {"idle_days": 30}),
                             ("d", {"tier": tier.pk, "min_orders": 1}), ("e", {"stage": "gown"}),
                             ("f", {"active_within_days": 7, "birthday_month": 3})]:
        segment_save(store=segment_world, name=name, conditions=conditions, by=supervisor)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    counts = {s.name: n for s, n, _w in response.context["rows"]}
    assert counts == {"a": 1, "b": 1, "c": 0, "d": 1, "e": 1, "f": 0}


@pytest.mark.clock
def test_a_segment_with_unreadable_conditions_is_flagged_not_a_500(client, supervisor,
                                                                   segment_world):
    Segment.objects.create(store=segment_world, name="坏分组", conditions={"tier": "gold"})
    client.force_login(supervisor)
    response = client.get(reverse("membership:segments"))
    assert response.status_code == 200 and response.context["rows"][0][1] is None
    assert "条件无法识别" in response.content.decode()


@pytest.mark.clock
def test_a_segments_customers_export_to_excel(client, supervisor, specialist, segment_world):
    segment = segment_save(store=segment_world, name="VIP", conditions={"vip_only": True},
                           by=supervisor)
    client.force_login(supervisor)
    rows = _sheet(client.get(reverse("membership:segments"), {"export": segment.pk}))
    assert rows[0][0] == "姓名" and [(r[0], r[4], r[5]) for r in rows[1:]] == [("张三", "是", "普通")]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=supervisor,
                                     detail__list=f"segment:{segment.pk}").exists()
    client.force_login(specialist)
    assert client.get(reverse("membership:segments"), {"export": segment.pk}).status_code == 403


# ---- the admin -------------------------------------------------------------------------------

@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", "root@example.com", "pass-1234")


def test_the_membership_admin_lists_open_and_the_ledger_is_append_only(client, superuser,
                                                                       earned):
    client.force_login(superuser)
    for model in ["membertier", "membershippolicy", "memberaccount", "membercard", "cardevent",
                  "pointsentry", "referralcashback", "segment"]:
        assert client.get(f"/admin/membership/{model}/").status_code == 200, model
    entry = PointsEntry.objects.get()
    response = client.post(f"/admin/membership/pointsentry/{entry.pk}/change/", {"points": "9999"})
    assert response.status_code == 403
    assert client.get("/admin/membership/pointsentry/add/").status_code == 403
    event = CardEvent.objects.first()
    assert client.post(f"/admin/membership/cardevent/{event.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.points == 2000


def test_the_admin_pays_cashback_through_the_service(client, superuser, cashback):
    client.force_login(superuser)
    assert client.get("/admin/membership/referralcashback/").status_code == 200
    response = client.post("/admin/membership/referralcashback/", {
        "action": "mark_paid", "_selected_action": [cashback.pk]})
    assert response.status_code == 302
    cashback.refresh_from_db()
    assert cashback.status == CashbackStatus.PAID and cashback.paid_by == superuser


def test_a_manager_sees_only_their_stores_members_in_the_admin(client, other_manager, member):
    other_manager.is_staff = True
    other_manager.save(update_fields=["is_staff"])
    client.force_login(other_manager)
    response = client.get("/admin/membership/memberaccount/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("model", ["memberaccount", "membercard", "cardevent", "pointsentry",
                                   "referralcashback"])
def test_membership_admin_lists_use_the_same_number_of_queries_for_more_rows(
        client, superuser, store, package, front_desk, model,
        django_capture_on_commit_callbacks, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            account = _make_member(store, f"A{MemberCard.objects.count():05d}", by=front_desk)
            friend = CustomerFactory(store=store, referrer=CustomerFactory(store=store))
            for customer in (account.customer, friend):
                order = order_create(customer=customer, package=package, by=front_desk)
                _pay(django_capture_on_commit_callbacks, order, front_desk, "100")

    client.force_login(superuser)
    add(1)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/admin/membership/{model}/")
    first = len(few.captured_queries)
    add(4)
    with django_assert_num_queries(first):
        client.get(f"/admin/membership/{model}/")
