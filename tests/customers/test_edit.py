"""编辑客户资料 (issue 16): customer_update, its page and PATCH /api/customers/{id}/ — one audit row
per save holding what changed (before → after, as shown), read back as the file's 资料修改记录."""
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from customers.models import Customer
from customers.selectors import customer_history
from customers.services import CustomerMergeRefused, customer_update
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.api import login
from tests.clock import local_at
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

EDIT = "orders:customer_edit"
API = "api:customer-detail"
MONDAY_10 = local_at("10:00", day=date(2026, 3, 9))


def _patch(client, customer, body):
    return client.patch(reverse(API, args=[customer.pk]), body, content_type="application/json")


def _changes() -> list[dict]:
    return [e.detail["changes"] for e in AuditEntry.objects.filter(
        action=AuditAction.CHANGE_CUSTOMER).order_by("pk")]


# --- the service -------------------------------------------------------------------------------

def test_a_change_is_one_audit_row_with_each_field_before_and_after_as_shown(
        customer, front_desk):
    friend = CustomerFactory(store=customer.store, name="周杰")
    customer.mobile, customer.source = "13812340000", "walk_in"
    customer.save()
    customer_update(customer=customer, by=front_desk, mobile="13912345678", source="referral",
                    referrer=friend, wedding_on=date(2027, 5, 20), wechat="wx1", name="张三")
    assert _changes() == [{
        "mobile": ["138****0000", "139****5678"],  # masked: the log is no store of mobiles
        "source": ["到店咨询", "老客户转介绍"],
        "referrer": ["", "周杰"],
        "wedding_on": ["", "2027-05-20"],
        "wechat": ["", "wx1"],
    }]  # the name did not change: not listed
    customer.refresh_from_db()
    assert (customer.mobile, customer.referrer, customer.wedding_on) == (
        "13912345678", friend, date(2027, 5, 20))


def test_saving_nothing_new_writes_nothing(customer, front_desk):
    customer_update(customer=customer, by=front_desk, name=customer.name, notes="")
    assert _changes() == []


def test_the_mobile_stays_one_per_store(customer, front_desk, other_store):
    CustomerFactory(store=customer.store, mobile="13912345678")
    CustomerFactory(store=other_store, mobile="13912345679")  # another store's: no matter
    with pytest.raises(ValidationError) as refused:
        customer_update(customer=customer, by=front_desk, mobile="13912345678")
    assert "mobile" in refused.value.error_dict
    customer_update(customer=customer, by=front_desk, mobile="13912345679")
    assert Customer.objects.get(pk=customer.pk).mobile == "13912345679"


@pytest.mark.parametrize("fields, field", [
    ({"mobile": "1391234"}, "mobile"), ({"name": ""}, "name"), ({"title": ""}, "title"),
    ({"source": "tv"}, "source"), ({"child_birthday_on": "soon"}, "child_birthday_on"),
])
def test_bad_input_is_a_field_error_and_changes_nothing(customer, front_desk, fields, field):
    with pytest.raises(ValidationError) as refused:
        customer_update(customer=customer, by=front_desk, **fields)
    assert field in refused.value.error_dict
    assert _changes() == []


def test_a_referrer_is_neither_the_customer_nor_someone_they_brought(customer, front_desk):
    friend = CustomerFactory(store=customer.store, referrer=customer)
    with pytest.raises(ValidationError):
        customer_update(customer=customer, by=front_desk, referrer=customer)
    with pytest.raises(ValidationError):
        customer_update(customer=customer, by=front_desk, referrer=friend)


def test_a_merged_record_is_not_edited(customer, front_desk):
    kept = CustomerFactory(store=customer.store)
    Customer.objects.filter(pk=customer.pk).update(merged_into=kept)
    with pytest.raises(CustomerMergeRefused):
        customer_update(customer=customer, by=front_desk, wechat="wx")


@pytest.mark.parametrize("role", [Role.CASHIER, Role.PHOTOGRAPHER])
def test_roles_without_change_customer_may_not_edit(customer, staff_of, role):
    with pytest.raises(PermissionDenied):
        customer_update(customer=customer, by=staff_of(role).user, wechat="wx")


def test_a_specialist_edits_only_their_own_customers(customer, other_specialist, other_manager):
    for user in (other_specialist, other_manager):
        with pytest.raises(PermissionDenied):
            customer_update(customer=customer, by=user, wechat="wx")


# --- the history ---------------------------------------------------------------------------------

def test_the_history_reads_who_when_and_each_change_in_one_query(
        customer, front_desk, supervisor, time_machine, django_assert_num_queries):
    time_machine.move_to(MONDAY_10, tick=False)
    customer_update(customer=customer, by=front_desk, wechat="wx1", notes="喜欢海景")
    time_machine.move_to(local_at("11:30", day=MONDAY_10.date()), tick=False)
    customer_update(customer=customer, by=supervisor, wechat="wx2")
    with django_assert_num_queries(1):
        rows = customer_history(customer)
        actors = [row.actor for row in rows]
    assert actors == [supervisor, front_desk]
    assert rows[0].at == local_at("11:30", day=MONDAY_10.date())
    assert rows[0].changes == [("微信号", "wx1", "wx2")]
    assert rows[1].changes == [("微信号", "-", "wx1"), ("备注", "-", "喜欢海景")]


def test_the_customers_file_shows_the_history(client, customer, front_desk, time_machine):
    time_machine.move_to(MONDAY_10, tick=False)
    customer_update(customer=customer, by=front_desk, wechat="wx_new")
    login(client, front_desk)
    page = client.get(reverse("orders:customer", args=[customer.pk])).content.decode()
    assert "资料修改记录" in page and "2026-03-09 10:00" in page
    assert "微信号：- → wx_new" in page
    assert reverse(EDIT, args=[customer.pk]) in page


# --- the page ------------------------------------------------------------------------------------

def _form(customer, **fields) -> dict:
    return {"name": customer.name, "title": customer.title, "mobile": customer.mobile,
            "wechat": customer.wechat, "source": customer.source,
            "preferred_contact_time": customer.preferred_contact_time, "notes": customer.notes,
            **fields}


def test_the_page_saves_and_goes_back_to_the_file(client, customer, front_desk):
    login(client, front_desk)
    assert client.get(reverse(EDIT, args=[customer.pk])).status_code == 200
    response = client.post(reverse(EDIT, args=[customer.pk]),
                           _form(customer, wechat="wx_page", child_birthday_on="2024-06-01"))
    assert response["Location"] == reverse("orders:customer", args=[customer.pk])
    customer.refresh_from_db()
    assert (customer.wechat, customer.child_birthday_on) == ("wx_page", date(2024, 6, 1))


def test_the_page_shows_a_taken_mobile_as_the_fields_error(client, customer, front_desk):
    CustomerFactory(store=customer.store, mobile="13912345678")
    login(client, front_desk)
    response = client.post(reverse(EDIT, args=[customer.pk]), _form(customer,
                                                                      mobile="13912345678"))
    assert response.status_code == 400
    assert 'data-testid="error-mobile"' in response.content.decode()


def test_a_specialist_sees_the_mobile_masked_and_a_blank_keeps_it(client, customer, specialist):
    login(client, specialist)
    page = client.get(reverse(EDIT, args=[customer.pk])).content.decode()
    assert customer.mobile not in page and customer.masked_mobile in page
    client.post(reverse(EDIT, args=[customer.pk]), _form(customer, mobile="", wechat="wx9"))
    customer.refresh_from_db()
    assert customer.wechat == "wx9" and customer.mobile.startswith("138")


def test_the_page_keeps_a_referrer_the_user_does_not_see(client, customer, specialist,
                                                         other_specialist):
    theirs = CustomerFactory(store=customer.store, name="吴用", assigned_to=other_specialist)
    Customer.objects.filter(pk=customer.pk).update(referrer=theirs)
    login(client, specialist)
    client.post(reverse(EDIT, args=[customer.pk]), _form(customer, referrer_q="吴用",
                                                          referrer=theirs.pk, wechat="wx"))
    customer.refresh_from_db()
    assert customer.referrer == theirs and customer.wechat == "wx"
    client.post(reverse(EDIT, args=[customer.pk]), _form(customer, referrer_q=""))
    assert Customer.objects.get(pk=customer.pk).referrer is None


@pytest.mark.parametrize("role", [Role.CASHIER, Role.PHOTOGRAPHER])
def test_the_page_refuses_roles_without_change_customer(client, customer, staff_of, role):
    login(client, staff_of(role).user)
    assert client.get(reverse(EDIT, args=[customer.pk])).status_code == 403


def test_the_page_answers_404_out_of_scope_and_for_a_merged_record(client, customer,
                                                                    other_specialist, manager):
    login(client, other_specialist)
    assert client.get(reverse(EDIT, args=[customer.pk])).status_code == 404
    Customer.objects.filter(pk=customer.pk).update(
        merged_into=CustomerFactory(store=customer.store))
    login(client, manager)
    assert client.get(reverse(EDIT, args=[customer.pk])).status_code == 404


# --- the API -------------------------------------------------------------------------------------

def test_patch_changes_only_the_fields_sent(client, customer, front_desk):
    login(client, front_desk)
    response = _patch(client, customer, {"wechat": "wx_api", "wedding_on": "2027-10-01"})
    assert response.status_code == 200, response.content
    assert response.json()["wechat"] == "wx_api" and response.json()["name"] == "张三"
    assert _changes() == [{"wechat": ["", "wx_api"], "wedding_on": ["", "2027-10-01"]}]


@pytest.mark.parametrize("body, field", [
    ({"mobile": "139"}, "mobile"), ({"title": "lord"}, "title"), ({"name": ""}, "name"),
])
def test_patch_answers_400_with_field_errors(client, customer, front_desk, body, field):
    login(client, front_desk)
    response = _patch(client, customer, body)
    assert response.status_code == 400 and field in response.json(), response.content


def test_patch_a_taken_mobile_or_a_hidden_referrer_is_400(client, customer, front_desk,
                                                          other_store):
    CustomerFactory(store=customer.store, mobile="13912345678")
    far = CustomerFactory(store=other_store)
    login(client, front_desk)
    assert "mobile" in _patch(client, customer, {"mobile": "13912345678"}).json()
    assert _patch(client, customer, {"referrer": far.pk}).status_code == 400


def test_patch_a_merged_record_is_409(client, customer, front_desk):
    Customer.objects.filter(pk=customer.pk).update(
        merged_into=CustomerFactory(store=customer.store))
    login(client, front_desk)
    assert _patch(client, customer, {"wechat": "wx"}).status_code == 409


def test_patch_refuses_roles_without_the_permission_and_ids_out_of_scope(
        client, customer, staff_of, other_specialist, other_manager):
    login(client, staff_of(Role.CASHIER).user)
    assert _patch(client, customer, {"wechat": "wx"}).status_code == 403
    for user in (other_specialist, other_manager):
        login(client, user)
        assert _patch(client, customer, {"wechat": "wx"}).status_code == 404
    assert _changes() == []
