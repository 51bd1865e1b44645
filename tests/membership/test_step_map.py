"""The member's step map (membership.workflow): who may take each card and points step, from
which card states, and the services refusing the wrong role on their own — called directly, no
view, no client."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from membership.models import CARD_TRANSITIONS, CardEvent, MemberAccount, MemberCard, PointsEntry
from membership.models import CardStatus as S
from membership.services import (
    member_card_issue,
    member_card_report_lost,
    member_card_revoke,
    points_adjust,
    points_redeem,
)
from membership.workflow import MEMBER_STEPS
from staff.models import Role
from studio.errors import TransitionNotAllowed
from studio.workflow import CREATE
from tests.factories import CustomerFactory
from tests.membership.factories import MemberAccountFactory

pytestmark = pytest.mark.django_db

R = Role
CARD_DESK = {R.FRONT_DESK, R.CASHIER, R.SUPERVISOR, R.STORE_MANAGER, R.GENERAL_MANAGER}
# Written out, not read from the map: the test fails when the map (or a role's group) is wrong.
ALLOWED_ROLES = {
    "issue": CARD_DESK,
    "redeem": CARD_DESK,
    "adjust": {R.SUPERVISOR, R.STORE_MANAGER, R.GENERAL_MANAGER},
    "lost": CARD_DESK,
    "revoke": CARD_DESK,
}
SOURCES = {"issue": {CREATE}, "redeem": {S.ACTIVE}, "adjust": {S.ACTIVE, CREATE},
           "lost": {S.ACTIVE}, "revoke": {S.ACTIVE}}
# Every move of the card's transition map and what makes it.
MOVES = {(S.ACTIVE, S.LOST): "lost", (S.ACTIVE, S.REVOKED): "revoke",
         (S.ACTIVE, S.EXPIRED): "sweep"}  # member_cards_expire


@pytest.fixture
def member(customer, front_desk, supervisor) -> MemberAccount:
    """A member with card VIP0001 and 1000 points."""
    return MemberAccountFactory(customer=customer, number="VIP0001", by=front_desk, points=1000,
                                adjusted_by=supervisor, reason="开卡礼")


def _call(action: str, member: MemberAccount, user, store):
    card = member.cards.get(status=S.ACTIVE)
    calls = {
        "issue": lambda: member_card_issue(customer=CustomerFactory(store=store), number="VIP0777",
                                           by=user),
        "redeem": lambda: points_redeem(account=member, points=10, by=user, note="相框"),
        "adjust": lambda: points_adjust(account=member, points=10, by=user, reason="补录"),
        "lost": lambda: member_card_report_lost(card=card, by=user, new_number="VIP0888"),
        "revoke": lambda: member_card_revoke(card=card, by=user, reason="退卡"),
    }
    return calls[action]()


def _footprint() -> tuple:
    return (list(MemberCard.objects.order_by("pk").values_list("number", "status")),
            PointsEntry.objects.count(), CardEvent.objects.count())


def test_the_map_has_the_expected_steps_and_sources():
    assert {step.action: step.sources for step in MEMBER_STEPS} == SOURCES


def test_every_move_of_the_card_is_a_step_or_the_expiry_sweep():
    edges = {(s, t) for s, targets in CARD_TRANSITIONS.items() for t in targets}
    assert set(MOVES) == edges
    for (source, target), action in MOVES.items():
        if action != "sweep":
            assert source in MEMBER_STEPS[action].sources and MEMBER_STEPS[action].target == target
    assert MEMBER_STEPS["issue"].creates and MEMBER_STEPS["issue"].target == S.ACTIVE


@pytest.mark.parametrize("role", Role.values)
def test_each_roles_group_allows_exactly_the_expected_steps(staff_of, role):
    user = staff_of(role).user
    allowed = {step.action for step in MEMBER_STEPS if step.permits(user)}
    assert allowed == {action for action, roles in ALLOWED_ROLES.items() if role in roles}


@pytest.mark.parametrize("action", list(ALLOWED_ROLES))
@pytest.mark.parametrize("role", Role.values)
def test_the_service_alone_refuses_the_wrong_role(staff_of, member, store, action, role):
    user = staff_of(role).user
    before = _footprint()
    if role in ALLOWED_ROLES[action]:
        assert _call(action, member, user, store)
        assert _footprint() != before
    else:
        with pytest.raises(PermissionDenied):
            _call(action, member, user, store)
        assert _footprint() == before


def test_an_ended_card_is_refused_by_its_state_and_two_rules_stay_bad_input(member, front_desk,
                                                                            customer):
    card = member.cards.get()
    member_card_revoke(card=card, by=front_desk, reason="退卡")
    with pytest.raises(TransitionNotAllowed):
        member_card_revoke(card=card, by=front_desk, reason="再退")
    with pytest.raises(TransitionNotAllowed):
        member_card_report_lost(card=card, by=front_desk, new_number="VIP0999")
    with pytest.raises(ValidationError):  # no valid card: 400 on the points, as before
        points_redeem(account=member, points=10, by=front_desk, note="相框")
    member_card_issue(customer=customer, number="VIP0002", by=front_desk)
    with pytest.raises(ValidationError):  # a second active card: 400 on the number, as before
        member_card_issue(customer=customer, number="VIP0003", by=front_desk)


@pytest.mark.parametrize(("user_fixture", "with_card", "offered"), [
    ("front_desk", True, ["redeem", "lost", "revoke"]),
    ("supervisor", True, ["redeem", "adjust", "lost", "revoke"]),
    ("specialist", True, []),
    ("front_desk", False, ["issue"]),
    ("supervisor", False, ["issue", "adjust"]),
])
def test_the_members_page_offers_the_available_steps(client, request, member, front_desk,
                                                     user_fixture, with_card, offered):
    if not with_card:
        member_card_revoke(card=member.cards.get(), by=front_desk, reason="退卡")
    client.force_login(request.getfixturevalue(user_fixture))
    response = client.get(reverse("membership:detail", args=[member.pk]))
    assert list(response.context["actions"]) == offered
    page = response.content.decode()
    for action in ("redeem", "adjust", "lost", "revoke"):
        assert (f'data-testid="{action}-form"' in page) == (action in offered), action
    assert (reverse("membership:issue") + f"?customer={member.customer_id}" in page) == (
        "issue" in offered)
