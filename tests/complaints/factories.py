"""factory_boy factories for complaints: registered through complaint_register (its reference,
its first deadline and its history), as the public form or a staff member does."""
import factory
from factory.django import DjangoModelFactory

from complaints.models import Complaint, ComplaintCategory, ComplaintChannel
from complaints.services import complaint_register
from tests.customers.factories import CustomerFactory
from tests.staff.factories import StoreFactory


class ComplaintFactory(DjangoModelFactory):
    """A complaint just registered (受理). `by` None (the default) is the customer on the public
    form, so no permission is asked; pass a staff member to register it as them. Any other
    argument of complaint_register (name, mobile, order, severity, received_at, ...) passes
    through."""

    class Meta:
        model = Complaint

    store = factory.SubFactory(StoreFactory)
    customer = factory.SubFactory(CustomerFactory, store=factory.SelfAttribute("..store"))
    by = None
    channel = ComplaintChannel.PHONE
    category = ComplaintCategory.PRODUCT_QUALITY
    content = "相册有划痕"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return complaint_register(**kwargs)

    @classmethod
    def _build(cls, model_class, *args, by=None, **kwargs):
        return model_class(**kwargs)
