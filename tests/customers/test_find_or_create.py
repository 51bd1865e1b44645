"""One way to find or make a customer by mobile: customers.services.customer_find_or_create
(the walk-out, the complaint registration and the public form), customer_build for the import's
bulk path."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from customers.models import Customer, SourceChannel, Title
from customers.selectors import customer_mobiles_taken
from customers.services import customer_build, customer_find_or_create
from staff.models import Role
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_new_mobile_makes_a_customer_of_the_store(store, front_desk):
    customer, created = customer_find_or_create(store=store, mobile=" 13612345678 ", name=" 王五 ",
                                                by=front_desk, source=SourceChannel.WALK_IN)
    assert created and Customer.objects.get() == customer
    assert (customer.store, customer.mobile, customer.name, customer.title, customer.source) == (
        store, "13612345678", "王五", Title.MS, SourceChannel.WALK_IN)
    assert customer.assigned_to is None  # the front desk made it: nobody's yet


def test_a_known_mobile_is_that_customer_whatever_the_name(store, customer, front_desk):
    found, created = customer_find_or_create(store=store, mobile=customer.mobile, name="别的名字",
                                             by=front_desk)
    assert (found, created) == (customer, False) and Customer.objects.count() == 1
    found.refresh_from_db()
    assert found.name == "张三"


def test_the_same_mobile_in_another_store_is_another_customer(customer, other_store, front_desk):
    other, created = customer_find_or_create(store=other_store, mobile=customer.mobile, name="张三",
                                             by=front_desk)
    assert created and other != customer and other.store == other_store


def test_a_specialist_keeps_the_customer_they_make_in_their_scope(store, specialist):
    customer, _created = customer_find_or_create(store=store, mobile="13612345678", name="王五",
                                                 by=specialist)
    assert customer.assigned_to == specialist


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"mobile": "12345678901"}, "mobile"), ({"mobile": "1381234567"}, "mobile"),
    ({"mobile": ""}, "mobile"), ({"name": "  "}, "name"), ({"name": "长" * 65}, "name"),
    ({"title": "sir"}, "title"),
])
def test_bad_identity_is_refused_on_its_field_and_nothing_is_saved(store, front_desk, kwargs,
                                                                   field):
    data = {"store": store, "mobile": "13612345678", "name": "王五", "by": front_desk, **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        customer_find_or_create(**data)
    assert field in excinfo.value.message_dict
    assert not Customer.objects.exists()


def test_two_desks_saving_the_same_new_mobile_get_the_same_customer(store, front_desk,
                                                                    monkeypatch):
    """The lookup misses a customer saved a moment later by another desk: the unique
    (store, mobile) refuses the second row and the first is answered."""
    first = CustomerFactory(store=store, mobile="13612345678")
    real_filter = Customer.objects.filter
    calls = []

    def filter_missing_once(*args, **kwargs):
        calls.append(kwargs)
        queryset = real_filter(*args, **kwargs)
        return queryset.none() if len(calls) == 1 else queryset

    monkeypatch.setattr(Customer.objects, "filter", filter_missing_once)
    found, created = customer_find_or_create(store=store, mobile="13612345678", name="王五",
                                             by=front_desk)
    assert (found, created) == (first, False)


def test_the_import_builds_customers_by_the_same_rules(store, customer):
    built = customer_build(store=store, mobile="13612345678", name="王五", by=None, title="",
                           wechat="wx")
    assert built.pk is None and (built.title, built.wechat, built.assigned_to) == (
        Title.MS, "wx", None)
    assert customer_mobiles_taken(store, [customer.mobile, "13612345678"]) == {customer.mobile}


def test_the_walkout_and_the_complaint_find_the_same_customer(store, customer, front_desk,
                                                               staff_of):
    from complaints.services import complaint_register
    from frontdesk.production import walkout_record

    walkout = walkout_record(store=store, by=front_desk, name="张三", mobile=customer.mobile,
                             reason="price", visited_at=customer.created_at)
    supervisor = staff_of(Role.SUPERVISOR).user
    complaint = complaint_register(store=store, by=supervisor, channel="phone",
                                   category="other", content="等太久", name="张三",
                                   mobile=customer.mobile)
    assert walkout.customer == complaint.customer == customer
    assert Customer.objects.count() == 1


def test_no_app_code_makes_a_customer_by_mobile_any_other_way():
    root = Path(settings.BASE_DIR)
    pattern = re.compile(r"Customer\.objects\.(create|get_or_create|update_or_create)\(")
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if not {".venv", "tests", "migrations", "node_modules", "devtools", "bench"}
                 & set(path.parts)
                 and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
