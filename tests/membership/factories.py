"""factory_boy factories for members: an account made by issuing a card (member_card_issue), with
points given by a supervisor's adjustment (points_adjust), as the front desk and the supervisor
do it."""
import factory
from factory.django import DjangoModelFactory

from membership.models import MemberAccount
from membership.services import member_card_issue, points_adjust
from staff.models import Role
from tests.customers.factories import CustomerFactory
from tests.staff.factories import StaffOfStore, staff_user


class MemberAccountFactory(DjangoModelFactory):
    """A member: `customer` is issued card `number` by `by` (a new front desk of the customer's
    store unless given); with `points`, `adjusted_by` (a new supervisor of the store unless given)
    adds them for `reason`. Returns the account, its balance up to date."""

    class Meta:
        model = MemberAccount

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"VIP{n:06d}")
    by = StaffOfStore(Role.FRONT_DESK, "customer.store")
    points = 0
    adjusted_by = None
    reason = "开卡赠送"

    @classmethod
    def _create(cls, model_class, *args, customer, number, by, points, adjusted_by, reason,
                **kwargs):
        account = member_card_issue(customer=customer, number=number, by=by, **kwargs).account
        if points:
            points_adjust(account=account, points=points, reason=reason,
                          by=adjusted_by or staff_user(Role.SUPERVISOR, customer.store))
            account.refresh_from_db()
        return account

    @classmethod
    def _build(cls, model_class, *args, customer, **kwargs):
        return model_class(customer=customer, store_id=customer.store_id)
