"""factory_boy factories for packages, orders and payments. Orders and payments go through
their services (order_create, payment_record), so that their stages and ledger hold."""
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from orders.models import Order, Package, PackageKind, Payment, PaymentKind, PaymentMethod
from orders.services import order_create, payment_record
from staff.models import Role
from tests.customers.factories import CustomerFactory
from tests.staff.factories import StaffOfStore


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


class OrderFactory(DjangoModelFactory):
    """An order booked through order_create: its stages laid out from the package, 定单 done.
    `by` (who books it) is a new front desk of the customer's store unless given; any other
    argument of order_create (amount, discount, scene, consultant, at) passes through."""

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    package = factory.SubFactory(PackageFactory)
    by = StaffOfStore(Role.FRONT_DESK, "customer.store")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return order_create(**kwargs)

    @classmethod
    def _build(cls, model_class, *args, by=None, at=None, **kwargs):
        kwargs.setdefault("amount", kwargs["package"].price)
        return model_class(store=kwargs["customer"].store, consultant=kwargs.pop("consultant", by),
                           **kwargs)


class PaymentFactory(DjangoModelFactory):
    """One entry of an order's payment ledger, through payment_record (a refund cannot exceed
    what was paid). `received_by` is a new front desk of the order's store unless given."""

    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    kind = PaymentKind.DEPOSIT
    amount = Decimal("1000.00")
    method = PaymentMethod.WECHAT
    received_by = StaffOfStore(Role.FRONT_DESK, "order.store")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return payment_record(**kwargs)
