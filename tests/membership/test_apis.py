"""The membership API: members and their ledger, redeeming and adjusting points, member cards
(issue, report lost, revoke) and segments with their customers; who may do what (each role,
including the refusals: 403 for a role that may not, 404 out of scope, 400 on the field for bad
data with nothing written, 409 for a card that has already ended), the payloads and the lists'
query counts."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from membership.models import (
    CardEvent,
    CardStatus,
    MemberAccount,
    MemberCard,
    MemberTier,
    PointsEntry,
    PointsKind,
    Segment,
)
from membership.services import (
    member_card_issue,
    member_card_report_lost,
    member_card_revoke,
    member_cards_expire,
    points_adjust,
    points_redeem,
    segment_save,
)
from orders.services import order_create, payment_record
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.api import count_queries, get_json, ids, login, post
from tests.membership.factories import MemberAccountFactory

from ..factories import CustomerFactory


def balance(account: MemberAccount) -> int:
    return MemberAccount.objects.get(pk=account.pk).points_balance


@pytest.fixture
def photographer(staff_of):
    return staff_of(Role.PHOTOGRAPHER).user


@pytest.fixture
def cashier(staff_of):
    return staff_of(Role.CASHIER).user


@pytest.fixture
def member(customer, front_desk, supervisor):
    """张三 (specialist_a's customer) with card VIP0001 and 1000 points."""
    return MemberAccountFactory(customer=customer, number="VIP0001", by=front_desk, points=1000,
                                adjusted_by=supervisor)


@pytest.fixture
def others_member(store, other_specialist, front_desk):
    return MemberAccountFactory(customer__store=store, customer__assigned_to=other_specialist,
                                customer__name="李四", number="VIP0002", by=front_desk)


@pytest.fixture
def other_store_member(other_store, other_manager):
    return MemberAccountFactory(customer__store=other_store, customer__name="王五",
                                number="VIP0003", by=other_manager, points=500,
                                adjusted_by=other_manager)


def card_of(account: MemberAccount) -> MemberCard:
    return account.cards.get(status=CardStatus.ACTIVE)


# --- Who sees which members ---------------------------------------------------------------------

def test_a_specialist_lists_and_opens_only_the_members_they_look_after(client, specialist, member,
                                                                       others_member,
                                                                       other_store_member):
    login(client, specialist)
    assert ids(client.get("/api/members/")) == {member.pk}
    assert client.get(f"/api/members/{member.pk}/").status_code == 200
    assert client.get(f"/api/members/{others_member.pk}/").status_code == 404
    assert client.get(f"/api/members/{other_store_member.pk}/").status_code == 404
    assert client.get(f"/api/members/{others_member.pk}/ledger/").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "front_desk", "manager", "cashier"])
def test_store_roles_see_their_stores_members_and_not_the_others(request, client, role, member,
                                                                 others_member, other_store_member):
    login(client, request.getfixturevalue(role))
    assert ids(client.get("/api/members/")) == {member.pk, others_member.pk}
    assert client.get(f"/api/members/{others_member.pk}/").status_code == 200
    assert client.get(f"/api/members/{other_store_member.pk}/").status_code == 404
    assert client.get(f"/api/members/{other_store_member.pk}/ledger/").status_code == 404


def test_the_general_manager_sees_every_stores_members_and_can_narrow_to_one(
        client, general_manager, store, member, other_store_member):
    login(client, general_manager)
    assert ids(client.get("/api/members/")) == {member.pk, other_store_member.pk}
    assert ids(client.get(f"/api/members/?store={store.pk}")) == {member.pk}
    assert client.get(f"/api/members/{other_store_member.pk}/").status_code == 200


ANONYMOUS_GETS = ["/api/members/", "/api/members/1/", "/api/members/1/ledger/",
                  "/api/member-cards/", "/api/member-cards/1/", "/api/segments/",
                  "/api/segments/1/customers/"]
ANONYMOUS_POSTS = ["/api/members/1/redeem/", "/api/members/1/adjust/", "/api/member-cards/",
                   "/api/member-cards/1/report-lost/", "/api/member-cards/1/revoke/",
                   "/api/segments/"]


@pytest.mark.parametrize("url", ANONYMOUS_GETS)
def test_anonymous_visitors_cannot_read(client, db, url):
    assert client.get(url).status_code in (401, 403)


@pytest.mark.parametrize("url", ANONYMOUS_POSTS)
def test_anonymous_visitors_cannot_write(client, member, url):
    url = url.replace("/1/", f"/{member.pk}/") if "members" in url else url.replace(
        "/1/", f"/{card_of(member).pk}/")
    assert post(client, url, {"points": 1, "note": "x", "reason": "x", "new_number": "N1",
                              "name": "x"}).status_code in (401, 403)
    assert balance(member) == 1000 and MemberCard.objects.count() == 1
    assert not Segment.objects.exists()


def test_a_photographer_has_no_membership_access(client, photographer, member):
    login(client, photographer)
    card = card_of(member)
    for url in ["/api/members/", f"/api/members/{member.pk}/", f"/api/members/{member.pk}/ledger/",
                "/api/member-cards/", f"/api/member-cards/{card.pk}/", "/api/segments/"]:
        assert client.get(url).status_code == 403, url
    assert post(client, f"/api/members/{member.pk}/redeem/",
                {"points": 1, "note": "礼品"}).status_code == 403
    assert post(client, f"/api/members/{member.pk}/adjust/",
                {"points": 1, "reason": "补录"}).status_code == 403
    assert post(client, f"/api/member-cards/{card.pk}/revoke/",
                {"reason": "退卡"}).status_code == 403
    assert balance(member) == 1000 and card_of(member) == card


# --- The member list and file -------------------------------------------------------------------

def test_a_member_row_shows_tier_balance_spending_and_current_card(client, supervisor, member,
                                                                   customer, specialist):
    row = get_json(login(client, supervisor), "/api/members/")["results"][0]
    assert row["customer"] == customer.pk and row["customer_name"] == "张三"
    assert row["customer_mobile"] == customer.mobile  # a supervisor sees mobiles in full
    assert row["tier_name"] == "普通" and row["points_balance"] == 1000
    assert row["total_spent"] == "0.00"
    assert row["card_number"] == "VIP0001" and row["card_status"] == "active"
    assert row["specialist_name"] == specialist.display_name


@pytest.mark.parametrize("role", ["cashier", "specialist"])
def test_roles_without_the_reveal_permission_see_masked_mobiles(request, client, role, member,
                                                                customer):
    login(client, request.getfixturevalue(role))
    masked = f"{customer.mobile[:3]}****{customer.mobile[-4:]}"
    assert get_json(client, "/api/members/")["results"][0]["customer_mobile"] == masked
    assert get_json(client, f"/api/members/{member.pk}/")["customer_mobile"] == masked


def test_the_member_list_filters_by_name_mobile_tier_card_status_and_card_number(
        client, supervisor, member, others_member, customer, front_desk):
    gold = MemberTier.objects.get(name="金卡")
    MemberAccount.objects.filter(pk=others_member.pk).update(tier=gold)
    login(client, supervisor)
    assert ids(client.get("/api/members/", {"q": "张"})) == {member.pk}
    assert ids(client.get("/api/members/", {"q": customer.mobile[-4:]})) == {member.pk}
    assert ids(client.get("/api/members/", {"q": "12"})) == set()  # too few digits to search
    assert ids(client.get("/api/members/", {"tier": gold.pk})) == {others_member.pk}
    member_card_revoke(card=card_of(others_member), by=supervisor, reason="退卡")
    assert ids(client.get("/api/members/", {"card_status": "active"})) == {member.pk}
    assert ids(client.get("/api/members/", {"card_status": "revoked"})) == {others_member.pk}
    member_card_report_lost(card=card_of(member), by=front_desk, new_number="VIP0009")
    # The lost card is replaced at once: the current card is the new one, found by either number.
    assert ids(client.get("/api/members/", {"card_status": "active"})) == {member.pk}
    assert ids(client.get("/api/members/", {"card_number": "VIP0001"})) == {member.pk}
    assert ids(client.get("/api/members/", {"card_number": "VIP0009"})) == {member.pk}
    assert client.get("/api/members/", {"card_status": "nonsense"}).status_code == 400


def test_the_member_file_shows_every_card_with_its_history_and_is_audited(client, supervisor,
                                                                         member, front_desk,
                                                                         customer):
    new = member_card_report_lost(card=card_of(member), by=front_desk, new_number="VIP0009",
                                  reason="钱包丢失")
    body = get_json(login(client, supervisor), f"/api/members/{member.pk}/")
    assert body["points_balance"] == 1000 and body["tier_name"] == "普通"
    assert body["earn_rate"] == "1.00" and body["total_spent"] == "0.00"
    assert body["card_number"] == "VIP0009" and body["card_status"] == "active"
    newest, lost = body["cards"]
    assert newest["id"] == new.pk and newest["replaces"] == lost["id"]
    assert [e["action"] for e in newest["events"]] == ["reissue"]
    assert lost["number"] == "VIP0001" and lost["status"] == "lost"
    assert lost["end_reason"] == "钱包丢失"
    assert [e["action"] for e in lost["events"]] == ["issue", "lost"]
    assert lost["events"][1]["by_name"] == front_desk.display_name
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_CUSTOMER, actor=supervisor)
    assert entry.object_id == str(customer.pk) and entry.detail == {"member": member.pk}


def test_the_member_list_costs_the_same_queries_for_3_or_30(client, supervisor, store, front_desk,
                                                           django_assert_num_queries):
    for i in range(3):
        MemberAccountFactory(customer__store=store, number=f"A{i:04d}", by=front_desk)
    login(client, supervisor)
    few = count_queries(client, "/api/members/")
    assert few <= 8
    for i in range(27):
        account = MemberAccountFactory(customer__store=store, number=f"B{i:04d}", by=front_desk)
        if i % 3 == 0:
            member_card_report_lost(card=card_of(account), by=front_desk, new_number=f"C{i:04d}")
    with django_assert_num_queries(few):
        assert len(client.get("/api/members/").json()["results"]) == 30


def test_the_member_file_costs_the_same_queries_for_one_card_or_three(client, supervisor, member,
                                                                     front_desk,
                                                                     django_assert_num_queries):
    login(client, supervisor)
    few = count_queries(client, f"/api/members/{member.pk}/")
    for number in ("VIP0008", "VIP0009"):
        member_card_report_lost(card=card_of(member), by=front_desk, new_number=number)
    with django_assert_num_queries(few):
        assert len(client.get(f"/api/members/{member.pk}/").json()["cards"]) == 3


# --- The ledger ---------------------------------------------------------------------------------

def test_the_ledger_lists_entries_newest_first_and_pages(client, specialist, member, front_desk,
                                                         supervisor):
    points_redeem(account=member, points=100, by=front_desk, note="相框")
    points_adjust(account=member, points=-50, by=supervisor, reason="误录")
    body = get_json(login(client, specialist), f"/api/members/{member.pk}/ledger/")
    assert body["count"] == 3
    rows = body["results"]
    assert [(r["kind"], r["points"], r["balance_after"]) for r in rows] == [
        ("adjust", -50, 850), ("redeem", -100, 900), ("adjust", 1000, 1000)]
    assert rows[0]["note"] == "误录" and rows[0]["by_name"] == supervisor.display_name
    assert rows[1]["by"] == front_desk.pk
    page = get_json(client, f"/api/members/{member.pk}/ledger/", {"page_size": 2, "page": 2})
    assert [r["kind"] for r in page["results"]] == ["adjust"] and page["previous"]


def test_the_ledger_costs_the_same_queries_for_1_or_20_entries(client, supervisor, member,
                                                               front_desk,
                                                               django_assert_num_queries):
    login(client, supervisor)
    few = count_queries(client, f"/api/members/{member.pk}/ledger/")
    for i in range(19):
        points_redeem(account=member, points=1, by=front_desk if i % 2 else supervisor,
                      note=f"小礼品{i}")
    with django_assert_num_queries(few):
        assert client.get(f"/api/members/{member.pk}/ledger/").json()["count"] == 20


# --- Redeeming and adjusting points -------------------------------------------------------------

@pytest.mark.parametrize("role", ["front_desk", "cashier", "supervisor"])
def test_the_desk_redeems_points_and_sees_the_new_balance(request, client, role, member):
    user = request.getfixturevalue(role)
    response = post(login(client, user), f"/api/members/{member.pk}/redeem/",
                    {"points": 300, "note": " 免费放大一张 "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["entry"]["kind"] == "redeem" and body["entry"]["points"] == -300
    assert body["entry"]["balance_after"] == 700 and body["entry"]["note"] == "免费放大一张"
    assert body["entry"]["by"] == user.pk
    assert body["member"]["id"] == member.pk and body["member"]["points_balance"] == 700
    assert balance(member) == 700


@pytest.mark.parametrize("data,field", [
    ({"points": 1001, "note": "礼品"}, "points"),  # more than the balance
    ({"points": 0, "note": "礼品"}, "points"),
    ({"points": -5, "note": "礼品"}, "points"),
    ({"points": 1.5, "note": "礼品"}, "points"),
    ({"points": "abc", "note": "礼品"}, "points"),
    ({"note": "礼品"}, "points"),
    ({"points": 100}, "note"),
    ({"points": 100, "note": "   "}, "note"),
])
def test_a_redemption_the_rules_refuse_is_a_400_and_writes_nothing(client, front_desk, member,
                                                                   data, field):
    entries = PointsEntry.objects.count()
    response = post(login(client, front_desk), f"/api/members/{member.pk}/redeem/", data)
    assert response.status_code == 400 and field in response.json(), response.content
    assert balance(member) == 1000 and PointsEntry.objects.count() == entries


def test_a_specialist_may_not_redeem_and_other_stores_members_are_not_found(
        client, specialist, front_desk, member, other_store_member):
    assert post(login(client, specialist), f"/api/members/{member.pk}/redeem/",
                {"points": 1, "note": "礼品"}).status_code == 403
    assert post(login(client, front_desk), f"/api/members/{other_store_member.pk}/redeem/",
                {"points": 1, "note": "礼品"}).status_code == 404
    assert balance(member) == 1000 and balance(other_store_member) == 500


@pytest.mark.parametrize("role", ["supervisor", "manager", "general_manager"])
def test_leads_adjust_points_up_and_down_with_a_reason(request, client, role, member):
    user = request.getfixturevalue(role)
    login(client, user)
    up = post(client, f"/api/members/{member.pk}/adjust/", {"points": 200, "reason": "活动补录"})
    assert up.status_code == 201, up.content
    assert up.json()["entry"]["kind"] == PointsKind.ADJUST and up.json()["entry"]["points"] == 200
    assert up.json()["entry"]["expires_at"]  # added points expire like earned ones
    down = post(client, f"/api/members/{member.pk}/adjust/", {"points": -1200, "reason": "误录"})
    assert down.status_code == 201 and down.json()["member"]["points_balance"] == 0
    assert balance(member) == 0


@pytest.mark.parametrize("data,field", [
    ({"points": -1001, "reason": "误录"}, "points"),  # below zero
    ({"points": 0, "reason": "误录"}, "points"),
    ({"points": 2.5, "reason": "误录"}, "points"),
    ({"points": 100_000_000, "reason": "误录"}, "points"),
    ({"reason": "误录"}, "points"),
    ({"points": 100}, "reason"),
    ({"points": 100, "reason": ""}, "reason"),
])
def test_an_adjustment_the_rules_refuse_is_a_400_and_writes_nothing(client, supervisor, member,
                                                                    data, field):
    entries = PointsEntry.objects.count()
    response = post(login(client, supervisor), f"/api/members/{member.pk}/adjust/", data)
    assert response.status_code == 400 and field in response.json(), response.content
    assert balance(member) == 1000 and PointsEntry.objects.count() == entries


@pytest.mark.parametrize("role", ["specialist", "front_desk", "cashier"])
def test_only_leads_may_adjust_points(request, client, role, member):
    response = post(login(client, request.getfixturevalue(role)),
                    f"/api/members/{member.pk}/adjust/", {"points": 100, "reason": "补录"})
    assert response.status_code == 403
    assert balance(member) == 1000


def test_a_manager_cannot_adjust_another_stores_member(client, other_manager, member):
    response = post(login(client, other_manager), f"/api/members/{member.pk}/adjust/",
                    {"points": 100, "reason": "补录"})
    assert response.status_code == 404 and balance(member) == 1000


# --- Member cards -------------------------------------------------------------------------------

def test_card_lists_follow_the_members_scope(client, specialist, supervisor, general_manager,
                                             member, others_member, other_store_member):
    mine, others, far = card_of(member), card_of(others_member), card_of(other_store_member)
    assert ids(login(client, specialist).get("/api/member-cards/")) == {mine.pk}
    assert client.get(f"/api/member-cards/{others.pk}/").status_code == 404
    assert ids(login(client, supervisor).get("/api/member-cards/")) == {mine.pk, others.pk}
    assert client.get(f"/api/member-cards/{far.pk}/").status_code == 404
    assert ids(login(client, general_manager).get("/api/member-cards/")) == {mine.pk, others.pk,
                                                                            far.pk}


def test_the_card_list_filters_by_holder_number_and_status(client, supervisor, member,
                                                           others_member, front_desk):
    lost = card_of(member)
    new = member_card_report_lost(card=lost, by=front_desk, new_number="VIP0009")
    login(client, supervisor)
    assert ids(client.get("/api/member-cards/", {"q": "张三"})) == {lost.pk, new.pk}
    assert ids(client.get("/api/member-cards/", {"number": "VIP0002"})) == {
        card_of(others_member).pk}
    assert ids(client.get("/api/member-cards/", {"status": "lost"})) == {lost.pk}
    row = get_json(client, "/api/member-cards/", {"status": "lost"})["results"][0]
    assert row["customer_name"] == "张三" and row["end_reason"] == "客户挂失"
    assert row["issued_by_name"] == front_desk.display_name


def test_the_card_list_costs_the_same_queries_for_3_or_30(client, supervisor, store, front_desk,
                                                         django_assert_num_queries):
    for i in range(3):
        MemberAccountFactory(customer__store=store, number=f"A{i:04d}", by=front_desk)
    login(client, supervisor)
    few = count_queries(client, "/api/member-cards/")
    for i in range(27):
        MemberAccountFactory(customer__store=store, number=f"B{i:04d}", by=supervisor)
    with django_assert_num_queries(few):
        assert len(client.get("/api/member-cards/").json()["results"]) == 30


@pytest.mark.parametrize("role", ["front_desk", "cashier", "manager"])
def test_the_desk_issues_a_card_and_the_customer_becomes_a_vip(request, client, role, store):
    user = request.getfixturevalue(role)
    customer = CustomerFactory(store=store, name="赵六")
    response = post(login(client, user), "/api/member-cards/",
                    {"customer": customer.pk, "number": "VIP1000", "expires_on": "2030-12-31"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "VIP1000" and body["status"] == "active"
    assert body["customer"] == customer.pk and body["expires_on"] == "2030-12-31"
    assert body["store"] == store.pk and body["issued_by"] == user.pk
    assert [e["action"] for e in body["events"]] == ["issue"]
    customer.refresh_from_db()
    assert customer.is_vip and customer.member_account.cards.get().pk == body["id"]


def test_a_duplicate_card_number_is_a_400_on_the_number_and_writes_nothing(client, front_desk,
                                                                           member, store):
    customer = CustomerFactory(store=store)
    response = post(login(client, front_desk), "/api/member-cards/",
                    {"customer": customer.pk, "number": "VIP0001"})
    assert response.status_code == 400 and "number" in response.json()
    assert not MemberAccount.objects.filter(customer=customer).exists()
    assert MemberCard.objects.count() == 1


def test_a_member_cannot_be_issued_a_second_active_card(client, front_desk, member, customer):
    response = post(login(client, front_desk), "/api/member-cards/",
                    {"customer": customer.pk, "number": "VIP0002"})
    assert response.status_code == 400 and "number" in response.json()
    assert MemberCard.objects.count() == 1


@pytest.mark.parametrize("data,field", [
    ({"number": "VIP1000"}, "customer"),
    ({"customer": "__customer__"}, "number"),
    ({"customer": "__customer__", "number": "VIP-1000"}, "number"),  # letters and digits only
    ({"customer": "__customer__", "number": "V" * 21}, "number"),
    ({"customer": "__customer__", "number": "VIP1000", "expires_on": "明年"}, "expires_on"),
])
def test_a_card_with_bad_data_is_a_400_on_the_field(client, front_desk, customer, data, field):
    data = {k: customer.pk if v == "__customer__" else v for k, v in data.items()}
    response = post(login(client, front_desk), "/api/member-cards/", data)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not MemberCard.objects.exists()


def test_a_card_for_a_customer_out_of_scope_is_refused(client, front_desk, other_store):
    stranger = CustomerFactory(store=other_store)
    response = post(login(client, front_desk), "/api/member-cards/",
                    {"customer": stranger.pk, "number": "VIP1000"})
    assert response.status_code == 400 and "customer" in response.json()
    assert not MemberAccount.objects.exists()


@pytest.mark.parametrize("role", ["specialist", "photographer"])
def test_roles_without_the_card_desk_may_not_issue_report_or_revoke(request, client, role, member,
                                                                    store):
    card = card_of(member)
    login(client, request.getfixturevalue(role))
    assert post(client, "/api/member-cards/", {"customer": CustomerFactory(store=store).pk,
                                               "number": "VIP1000"}).status_code == 403
    assert post(client, f"/api/member-cards/{card.pk}/report-lost/",
                {"new_number": "VIP1000"}).status_code == 403
    assert post(client, f"/api/member-cards/{card.pk}/revoke/",
                {"reason": "退卡"}).status_code == 403
    assert list(MemberCard.objects.values_list("status", flat=True)) == ["active"]


def test_reporting_a_card_lost_moves_the_account_to_a_new_number(client, front_desk, member,
                                                                 customer):
    lost = card_of(member)
    response = post(login(client, front_desk), f"/api/member-cards/{lost.pk}/report-lost/",
                    {"new_number": "VIP0009", "reason": "手机壳里丢了"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "VIP0009" and body["status"] == "active"
    assert body["replaces"] == lost.pk and body["account"] == member.pk
    assert [e["action"] for e in body["events"]] == ["reissue"]
    lost.refresh_from_db()
    assert lost.status == CardStatus.LOST and lost.end_reason == "手机壳里丢了"
    assert balance(member) == 1000
    customer.refresh_from_db()
    assert customer.is_vip


def test_a_lost_card_cannot_be_reported_again_and_a_taken_number_is_refused(client, front_desk,
                                                                           member,
                                                                           others_member):
    lost = card_of(member)
    login(client, front_desk)
    taken = post(client, f"/api/member-cards/{lost.pk}/report-lost/", {"new_number": "VIP0002"})
    assert taken.status_code == 400 and "new_number" in taken.json()
    missing = post(client, f"/api/member-cards/{lost.pk}/report-lost/", {})
    assert missing.status_code == 400 and "new_number" in missing.json()
    assert card_of(member) == lost  # nothing written
    assert post(client, f"/api/member-cards/{lost.pk}/report-lost/",
                {"new_number": "VIP0009"}).status_code == 201
    again = post(client, f"/api/member-cards/{lost.pk}/report-lost/", {"new_number": "VIP0010"})
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    assert not MemberCard.objects.filter(number="VIP0010").exists()


def test_revoking_a_card_ends_it_and_the_customer_is_no_longer_a_vip(client, supervisor, member,
                                                                     customer):
    card = card_of(member)
    login(client, supervisor)
    response = post(client, f"/api/member-cards/{card.pk}/revoke/", {"reason": "客户退卡"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "revoked" and body["end_reason"] == "客户退卡" and body["ended_at"]
    assert [e["action"] for e in body["events"]] == ["issue", "revoke"]
    customer.refresh_from_db()
    assert not customer.is_vip and balance(member) == 1000  # points stay on the account
    again = post(client, f"/api/member-cards/{card.pk}/revoke/", {"reason": "再退"})
    assert again.status_code == 409
    assert CardEvent.objects.filter(card=card, action="revoke").count() == 1


def test_a_revocation_needs_a_reason(client, supervisor, member):
    card = card_of(member)
    login(client, supervisor)
    for data in ({}, {"reason": "  "}):
        response = post(client, f"/api/member-cards/{card.pk}/revoke/", data)
        assert response.status_code == 400 and "reason" in response.json()
    assert card_of(member) == card


@pytest.mark.clock
def test_an_expired_card_cannot_be_revoked_or_reported_lost(client, front_desk, store):
    customer = CustomerFactory(store=store)
    card = member_card_issue(customer=customer, number="VIP0100", by=front_desk,
                             expires_on=timezone.localdate())
    member_cards_expire(today=timezone.localdate() + timedelta(days=1))
    login(client, front_desk)
    assert post(client, f"/api/member-cards/{card.pk}/revoke/",
                {"reason": "退卡"}).status_code == 409
    assert post(client, f"/api/member-cards/{card.pk}/report-lost/",
                {"new_number": "VIP0101"}).status_code == 409


def test_cards_of_other_stores_are_not_found(client, front_desk, other_store_member):
    far = card_of(other_store_member)
    login(client, front_desk)
    assert post(client, f"/api/member-cards/{far.pk}/revoke/", {"reason": "退卡"}).status_code == 404
    assert post(client, f"/api/member-cards/{far.pk}/report-lost/",
                {"new_number": "VIP1000"}).status_code == 404
    assert card_of(other_store_member) == far


# --- Segments -----------------------------------------------------------------------------------

@pytest.fixture
def vip_segment(store, supervisor):
    return segment_save(store=store, name="VIP 会员", conditions={"vip_only": True}, by=supervisor)


@pytest.fixture
def other_store_segment(other_store, other_manager):
    return segment_save(store=other_store, name="全部", conditions={}, by=other_manager)


def test_a_supervisor_saves_a_segment_for_their_store(client, supervisor, store):
    response = post(login(client, supervisor), "/api/segments/", {
        "name": "高消费老客户", "conditions": {"min_spend": "5000", "idle_days": 180,
                                         "vip_only": False, "stage": None}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["store"] == store.pk and body["name"] == "高消费老客户"
    assert body["conditions"] == {"min_spend": "5000.00", "idle_days": 180}  # only what is set
    assert body["created_by"] == supervisor.pk
    silver = MemberTier.objects.get(name="银卡")
    again = post(client, "/api/segments/", {"name": "高消费老客户",
                                             "conditions": {"tier": silver.pk}})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Segment.objects.get().conditions == {"tier": silver.pk}  # same name: updated


def test_a_segment_is_for_the_users_own_store_and_a_gm_names_it(client, supervisor,
                                                                general_manager, other_store):
    login(client, supervisor)
    response = post(client, "/api/segments/", {"name": "婚期", "store": other_store.pk})
    assert response.status_code == 400 and "store" in response.json()
    login(client, general_manager)
    response = post(client, "/api/segments/", {"name": "婚期"})
    assert response.status_code == 400 and "store" in response.json()
    assert not Segment.objects.exists()
    response = post(client, "/api/segments/", {"name": "婚期", "store": other_store.pk,
                                               "conditions": {"wedding_month": 5}})
    assert response.status_code == 201 and response.json()["store"] == other_store.pk


@pytest.mark.parametrize("conditions,field", [
    ({"wedding_month": 13}, "wedding_month"),
    ({"stage": "nonsense"}, "stage"),
    ({"tier": 999}, "tier"),
    ({"min_spend": "-1"}, "min_spend"),
    ({"idle_days": 0}, "idle_days"),
])
def test_a_segment_with_bad_conditions_is_a_400_and_not_saved(client, supervisor, conditions,
                                                              field):
    response = post(login(client, supervisor), "/api/segments/",
                    {"name": "坏条件", "conditions": conditions})
    assert response.status_code == 400 and field in response.json()["conditions"]
    assert not Segment.objects.exists()


def test_a_segment_needs_a_name(client, supervisor):
    response = post(login(client, supervisor), "/api/segments/", {"name": " "})
    assert response.status_code == 400 and "name" in response.json()


@pytest.mark.parametrize("role", ["specialist", "front_desk", "cashier"])
def test_roles_without_the_permission_may_not_save_segments(request, client, role):
    response = post(login(client, request.getfixturevalue(role)), "/api/segments/", {"name": "x"})
    assert response.status_code == 403 and not Segment.objects.exists()


def test_segments_are_listed_by_store(client, supervisor, front_desk, specialist, general_manager,
                                      vip_segment, other_store_segment):
    assert ids(login(client, supervisor).get("/api/segments/")) == {vip_segment.pk}
    row = get_json(client, "/api/segments/")["results"][0]
    assert row["conditions"] == {"vip_only": True} and row["store_name"] == "人民路店"
    assert ids(login(client, front_desk).get("/api/segments/")) == {vip_segment.pk}
    # A specialist's scope is their own customers, not a store: no store's segments.
    assert ids(login(client, specialist).get("/api/segments/")) == set()
    assert ids(login(client, general_manager).get("/api/segments/")) == {vip_segment.pk,
                                                                       other_store_segment.pk}


def test_a_segments_customers_match_its_conditions_with_their_membership(client, supervisor,
                                                                        vip_segment, member,
                                                                        store, customer):
    CustomerFactory(store=store, name="非会员")
    body = get_json(login(client, supervisor), f"/api/segments/{vip_segment.pk}/customers/")
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == customer.pk and row["mobile"] == customer.mobile
    assert row["tier_name"] == "普通" and row["points_balance"] == 1000 and row["is_vip"]


def test_a_segments_customers_without_membership_show_nulls_and_masked_mobiles(
        client, cashier, supervisor, store):
    segment = segment_save(store=store, name="五月婚期", conditions={"wedding_month": 5},
                           by=supervisor)
    bride = CustomerFactory(store=store, wedding_on="2026-05-20")
    CustomerFactory(store=store, wedding_on="2026-06-20")
    body = get_json(login(client, cashier), f"/api/segments/{segment.pk}/customers/")
    assert [r["id"] for r in body["results"]] == [bride.pk]
    row = body["results"][0]
    assert row["mobile"] == f"{bride.mobile[:3]}****{bride.mobile[-4:]}"
    assert row["tier_name"] is None and row["points_balance"] is None


def test_segment_customers_out_of_scope_are_not_found_or_refused(client, supervisor, specialist,
                                                                 photographer, vip_segment,
                                                                 other_store_segment):
    login(client, supervisor)
    assert client.get(f"/api/segments/{other_store_segment.pk}/customers/").status_code == 404
    assert client.get("/api/segments/999999/customers/").status_code == 404
    login(client, specialist)
    assert client.get(f"/api/segments/{vip_segment.pk}/customers/").status_code == 404
    login(client, photographer)
    assert client.get(f"/api/segments/{vip_segment.pk}/customers/").status_code == 403


def test_segment_customers_cost_the_same_queries_for_3_or_30(client, supervisor, store, front_desk,
                                                            django_assert_num_queries):
    segment = segment_save(store=store, name="全部", conditions={}, by=supervisor)
    for i in range(3):
        MemberAccountFactory(customer__store=store, number=f"A{i:04d}", by=front_desk)
    login(client, supervisor)
    url = f"/api/segments/{segment.pk}/customers/"
    few = count_queries(client, url)
    for i in range(27):
        customer = CustomerFactory(store=store)
        if i % 2:
            MemberAccountFactory(customer=customer, number=f"B{i:04d}", by=front_desk)
    with django_assert_num_queries(few):
        assert len(client.get(url).json()["results"]) == 30


def test_a_spending_segment_lists_its_customers_with_their_membership(
        client, supervisor, store, front_desk, package, django_capture_on_commit_callbacks):
    big, small = CustomerFactory(store=store), CustomerFactory(store=store)
    MemberAccountFactory(customer=big, number="VIP0500", by=front_desk)
    for customer, amount in ((big, "3000.00"), (small, "500.00")):
        order = order_create(customer=customer, package=package, by=front_desk)
        with django_capture_on_commit_callbacks(execute=True):
            payment_record(order=order, kind="deposit", amount=Decimal(amount),
                           received_by=front_desk)
    segment = segment_save(store=store, name="高消费", by=supervisor,
                           conditions={"min_spend": "1000.00", "min_orders": 1})
    rows = get_json(login(client, supervisor),
                    f"/api/segments/{segment.pk}/customers/")["results"]
    assert [(r["id"], r["points_balance"]) for r in rows] == [(big.pk, 3000)]
