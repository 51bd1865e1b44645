"""factory_boy factories, one module per model family in each app's test folder; this module
re-exports them for the tests that import from tests.factories. Services build what has rules
(orders, payments, complaints, callback tasks, members go through theirs)."""
from tests.callbacks.factories import CallbackCampaignFactory, CallbackTaskFactory
from tests.complaints.factories import ComplaintFactory
from tests.customers.factories import CustomerFactory
from tests.membership.factories import MemberAccountFactory
from tests.orders.factories import (
    ChildrenPackageFactory,
    OrderFactory,
    PackageFactory,
    PaymentFactory,
)
from tests.staff.factories import StaffMemberFactory, StoreFactory, UserFactory, staff_user

__all__ = [
    "CallbackCampaignFactory",
    "CallbackTaskFactory",
    "ChildrenPackageFactory",
    "ComplaintFactory",
    "CustomerFactory",
    "MemberAccountFactory",
    "OrderFactory",
    "PackageFactory",
    "PaymentFactory",
    "StaffMemberFactory",
    "StoreFactory",
    "UserFactory",
    "staff_user",
]
