"""factory_boy factories for the studio's models; services build what has rules."""
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from customers.models import Customer
from orders.models import Package, PackageKind
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


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.SubFactory(StoreFactory)
    name = factory.Faker("name", locale="zh_CN")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")


class PackageFactory(DjangoModelFactory):
    class Meta:
        model = Package
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"婚纱套系{n}")
    kind = PackageKind.WEDDING
    price = Decimal("5999.00")
    includes_gown_selection = True


class ChildrenPackageFactory(PackageFactory):
    name = factory.Sequence(lambda n: f"儿童套系{n}")
    kind = PackageKind.CHILDREN
    price = Decimal("1999.00")
    includes_gown_selection = False
