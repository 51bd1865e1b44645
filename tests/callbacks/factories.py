"""factory_boy factories for callback campaigns and tasks. A task is made by
callback_task_build, the one place a callback's rules live: the customer's store, the customer's
specialist unless someone is named, due by the store's policy (outside quiet hours) unless
`due_at` is given, and pointing at what its purpose is about (a campaign by default)."""
import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from callbacks.models import CallbackCampaign, CallbackPurpose, CallbackTask
from callbacks.services import (
    PURPOSE_SUBJECT,
    THE_CUSTOMERS_SPECIALIST,
    callback_task_build,
    policy_for,
)
from tests.customers.factories import CustomerFactory
from tests.staff.factories import StoreFactory


class CallbackCampaignFactory(DjangoModelFactory):
    class Meta:
        model = CallbackCampaign

    name = factory.Sequence(lambda n: f"节日问候{n}")
    purpose = CallbackPurpose.HOLIDAY
    store = factory.SubFactory(StoreFactory)


class CallbackTaskFactory(DjangoModelFactory):
    """A callback task, pending. Its purpose defaults to a holiday campaign's call (with a
    campaign of the customer's store); for another purpose pass what it is about (stage=,
    walkout=; nothing for a complaint's follow-up). `assigned_to` names the caller (None:
    nobody); other fields of the row (status, attempts, store, ...) are set after the build."""

    class Meta:
        model = CallbackTask

    customer = factory.SubFactory(CustomerFactory)
    purpose = CallbackPurpose.HOLIDAY
    triggered_at = factory.LazyFunction(timezone.now)
    campaign = factory.Maybe(
        factory.LazyAttribute(lambda o: PURPOSE_SUBJECT.get(o.purpose) == "campaign"),
        yes_declaration=factory.SubFactory(
            CallbackCampaignFactory, store=factory.SelfAttribute("..customer.store"),
            purpose=factory.SelfAttribute("..purpose")),
        no_declaration=None)

    @classmethod
    def _build(cls, model_class, *args, customer, purpose, triggered_at, campaign=None,
               stage=None, walkout=None, policy=None, due_at=None, sequence=1,
               assigned_to=THE_CUSTOMERS_SPECIALIST, **fields):
        task = callback_task_build(
            customer=customer, purpose=purpose, triggered_at=triggered_at,
            policy=policy or policy_for(customer.store_id), due_at=due_at, campaign=campaign,
            stage=stage, walkout=walkout, sequence=sequence,
            assigned_to_id=(assigned_to if assigned_to is THE_CUSTOMERS_SPECIALIST
                            else getattr(assigned_to, "pk", None)))
        for name, value in fields.items():
            setattr(task, name, value)
        return task

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        task = cls._build(model_class, *args, **kwargs)
        task.save()
        return task
