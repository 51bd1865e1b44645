"""Roles are Django groups whose permissions follow staff.roles.ROLE_PERMISSIONS."""
import pytest
from django.contrib.auth.models import Group

from staff.models import Role
from staff.roles import ROLE_PERMISSIONS, group_name

pytestmark = pytest.mark.django_db


def test_every_role_has_a_group_with_exactly_its_permissions():
    for role in Role:
        group = Group.objects.get(name=group_name(role))
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(ROLE_PERMISSIONS[role]), role


@pytest.mark.parametrize(("role", "may_take_payment", "may_assign", "admin"), [
    (Role.SPECIALIST, False, False, False),
    (Role.SUPERVISOR, False, True, False),
    (Role.FRONT_DESK, True, False, False),
    (Role.STORE_MANAGER, True, True, True),
    (Role.CASHIER, True, False, False),
    (Role.PHOTOGRAPHER, False, False, False),
    (Role.GENERAL_MANAGER, True, True, True),
])
def test_each_role_may_do_its_part_and_nothing_more(staff_of, role, may_take_payment, may_assign,
                                                    admin):
    user = staff_of(role).user
    assert user.has_perm("orders.take_payment") is may_take_payment
    assert user.has_perm("customers.assign_customer") is may_assign
    assert user.is_staff is admin
