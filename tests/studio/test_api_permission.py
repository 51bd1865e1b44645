"""The API's one permission rule (studio.permissions.HasRequiredPerm, the default for every
view): a view names the permission it needs, and a view that names none is refused."""
from types import SimpleNamespace

from studio.permissions import HasRequiredPerm


def _request(user):
    return SimpleNamespace(user=user, method="GET")


def test_a_view_that_names_no_permission_is_refused_even_to_a_superuser(db, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", password="x")
    assert not HasRequiredPerm().has_permission(_request(boss), SimpleNamespace())


def test_required_perm_none_opens_a_view_to_active_staff_only(specialist, django_user_model):
    outsider = django_user_model.objects.create_user("outsider", password="x")
    view = SimpleNamespace(required_perm=None)
    assert HasRequiredPerm().has_permission(_request(specialist), view)
    assert not HasRequiredPerm().has_permission(_request(outsider), view)


def test_a_named_permission_is_checked(specialist):
    assert HasRequiredPerm().has_permission(
        _request(specialist), SimpleNamespace(required_perm="customers.view_customer"))
    assert not HasRequiredPerm().has_permission(
        _request(specialist), SimpleNamespace(required_perm="orders.add_package"))
