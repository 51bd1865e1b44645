"""factory_boy factories for stores and staff: a login in its role's group, as staff_member_create
makes it."""
import functools

import factory
from factory.django import DjangoModelFactory

from staff.models import Role, StaffMember, Store, User
from staff.services import staff_member_set_role


class StoreFactory(DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.Sequence(lambda n: f"测试影楼{n}号店")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class StaffMemberFactory(DjangoModelFactory):
    """A staff member with a login, in their role's group (as staff_member_create does)."""

    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = Role.SPECIALIST
    skill_rating = 3

    @factory.post_generation
    def group(obj, create, extracted, **kwargs):
        if create:
            staff_member_set_role(member=obj, role=obj.role)


def staff_user(role: str, store: Store, **kwargs) -> User:
    """The login of a new staff member in `role` at `store`."""
    return StaffMemberFactory(role=role, store=store, **kwargs).user


class StaffOfStore(factory.declarations.BaseDeclaration):
    """A declaration: the login of a new staff member in `role` at the store reached by `store`
    (a dotted path through the object being made, e.g. "customer.store"). The default `by` of the
    factories that go through a service, which checks the role's permission. Saved with the
    object; unsaved with .build(); not made at all when the caller passes their own."""

    def __init__(self, role: str, store: str):
        super().__init__()
        self.role, self.store = role, store

    def evaluate(self, instance, step, extra):
        store = functools.reduce(getattr, self.store.split("."), instance)
        return StaffMemberFactory.generate(step.builder.strategy, role=self.role, store=store).user
