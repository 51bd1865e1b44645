"""Writes for staff: people get a login, a profile and their role's group in one step."""
from django.contrib.auth.models import Group
from django.db import transaction

from .models import Department, Role, StaffMember, Store, User
from .roles import ADMIN_ROLES, group_name


@transaction.atomic
def staff_member_create(
    *, username: str, password: str, store: Store, role: str, full_name: str = "",
    department: Department | None = None, level: int = 1, skill_rating: int = 3,
    mobile: str = "",
) -> StaffMember:
    """Create the login and the staff profile, and put the person in their role's group."""
    user = User(username=username, first_name=full_name)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    member = StaffMember(user=user, store=store, department=department, role=Role(role),
                         level=level, skill_rating=skill_rating, mobile=mobile)
    member.full_clean()
    member.save()
    staff_member_set_role(member=member, role=role)
    return member


@transaction.atomic
def staff_member_set_role(*, member: StaffMember, role: str) -> StaffMember:
    """Change a person's role: their group follows, and admin access for managers."""
    member.role = Role(role)
    member.save(update_fields=["role", "updated_at"])
    user = member.user
    user.groups.set([Group.objects.get_or_create(name=group_name(role))[0]])
    user.is_staff = role in ADMIN_ROLES
    user.save(update_fields=["is_staff"])
    return member
