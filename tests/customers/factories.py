"""factory_boy factories for customers."""
import factory
from factory.django import DjangoModelFactory

from customers.models import Customer
from tests.staff.factories import StoreFactory


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.SubFactory(StoreFactory)
    name = factory.Faker("name", locale="zh_CN")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
