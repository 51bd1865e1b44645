"""登记客户 (issue 16): the page and POST /api/customers/ — one customer per mobile and store, the
same mobile in another store named as far as the user's scope allows, the referrer among the
customers the user sees, the new customer's specialist, the request sent twice, who may."""
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from customers.models import Customer, CustomerAssignment, SourceChannel
from customers.services import CustomerMobileTaken, customer_register
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.api import login, post
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

REGISTER = "orders:customer_register"
API = "api:customer-list"


def _form(**fields) -> dict:
    return {"name": "王小美", "title": "ms", "mobile": "13712345678", "source": "walk_in",
            "preferred_contact_time": "any", **fields}


# --- the service -------------------------------------------------------------------------------

def test_the_front_desk_registers_an_unassigned_customer_and_it_is_audited(store, front_desk):
    customer = customer_register(store=store, by=front_desk, name=" 王小美 ", mobile="13712345678",
                                 wechat="wx_mei", wedding_on=date(2027, 5, 20), ip_address="10.0.0.9")
    assert (customer.name, customer.store, customer.assigned_to) == ("王小美", store, None)
    assert customer.wedding_on == date(2027, 5, 20) and customer.wechat == "wx_mei"
    entry = AuditEntry.objects.get(action=AuditAction.CREATE_CUSTOMER)
    assert (entry.actor, entry.object_id, entry.ip_address) == (front_desk, str(customer.pk),
                                                                "10.0.0.9")


def test_a_specialist_keeps_the_customer_they_register_even_when_the_store_assigns(
        store, specialist, other_specialist):
    store.auto_assign_customers = True
    store.save()
    customer = customer_register(store=store, by=other_specialist, name="李雷", mobile="13712345678")
    assert customer.assigned_to == other_specialist


def test_a_store_that_assigns_gives_the_new_customer_to_the_least_loaded_specialist(
        store, specialist, other_specialist, front_desk):
    store.auto_assign_customers = True
    store.save()
    CustomerFactory.create_batch(2, store=store, assigned_to=specialist)
    customer = customer_register(store=store, by=front_desk, name="李雷", mobile="13712345678")
    assert customer.assigned_to == other_specialist
    record = CustomerAssignment.objects.get(customer=customer)
    assert (record.to_user, record.by, record.reason) == (other_specialist, front_desk,
                                                          "新客户自动分配")


def test_merged_records_do_not_count_in_a_specialists_load(store, specialist, other_specialist,
                                                            front_desk):
    store.auto_assign_customers = True
    store.save()
    kept = CustomerFactory(store=store, assigned_to=other_specialist)
    for _ in range(2):  # two records merged away: other_specialist holds one customer, not three
        CustomerFactory(store=store, assigned_to=other_specialist, merged_into=kept)
    CustomerFactory.create_batch(2, store=store, assigned_to=specialist)
    customer = customer_register(store=store, by=front_desk, name="李雷", mobile="13712345678")
    assert customer.assigned_to == other_specialist


def test_without_auto_assignment_or_specialists_the_customer_waits_for_the_supervisor(
        store, other_store, specialist, front_desk, general_manager):
    assert customer_register(store=store, by=front_desk, name="甲", mobile="13712345678"
                             ).assigned_to is None
    other_store.auto_assign_customers = True
    other_store.save()  # a store with nobody to give them to
    assert customer_register(store=other_store, by=general_manager, name="乙",
                             mobile="13712345679").assigned_to is None


def test_a_mobile_the_store_has_is_refused_with_that_customer(store, front_desk):
    existing = CustomerFactory(store=store, mobile="13712345678")
    with pytest.raises(CustomerMobileTaken) as refused:
        customer_register(store=store, by=front_desk, name="别人", mobile="13712345678")
    assert refused.value.customer == existing
    assert Customer.objects.count() == 1


def test_a_merged_records_mobile_names_the_record_it_was_merged_into(store, front_desk):
    kept = CustomerFactory(store=store)
    CustomerFactory(store=store, mobile="13712345678", merged_into=kept)
    with pytest.raises(CustomerMobileTaken) as refused:
        customer_register(store=store, by=front_desk, name="别人", mobile="13712345678")
    assert refused.value.customer == kept


@pytest.mark.parametrize("fields, field", [
    ({"mobile": "12345"}, "mobile"), ({"name": " "}, "name"), ({"title": "lord"}, "title"),
    ({"source": "tv"}, "source"), ({"preferred_contact_time": "noon"}, "preferred_contact_time"),
    ({"wechat": "w" * 65}, "wechat"), ({"wedding_on": "2027-13-01"}, "wedding_on"),
])
def test_bad_input_is_a_field_error(store, front_desk, fields, field):
    with pytest.raises(ValidationError) as refused:
        customer_register(store=store, by=front_desk, **{"name": "王", "mobile": "13712345678",
                                                         **fields})
    assert field in refused.value.error_dict


@pytest.mark.parametrize("role", [Role.CASHIER, Role.PHOTOGRAPHER, Role.SELECTION_CONSULTANT])
def test_roles_without_add_customer_may_not_register(store, staff_of, role):
    with pytest.raises(PermissionDenied):
        customer_register(store=store, by=staff_of(role).user, name="王", mobile="13712345678")


def test_nobody_registers_into_another_stores_file(store, other_store, front_desk):
    with pytest.raises(PermissionDenied):
        customer_register(store=other_store, by=front_desk, name="王", mobile="13712345678")


def test_the_same_request_key_registers_once(store, front_desk):
    first = customer_register(store=store, by=front_desk, name="王", mobile="13712345678",
                              request_key="k1")
    again = customer_register(store=store, by=front_desk, name="王", mobile="13712345678",
                              request_key="k1")
    assert first == again and Customer.objects.count() == 1
    with pytest.raises(ValidationError) as refused:
        customer_register(store=store, by=front_desk, name="李", mobile="13712345670",
                          request_key="k1")
    assert "request_key" in refused.value.error_dict


# --- the page ------------------------------------------------------------------------------------

def test_the_page_registers_and_opens_the_customers_file(client, store, front_desk):
    login(client, front_desk)
    assert client.get(reverse(REGISTER)).status_code == 200
    response = client.post(reverse(REGISTER), _form(wedding_on="2027-05-20"))
    customer = Customer.objects.get(mobile="13712345678")
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:customer", args=[customer.pk])
    assert customer.wedding_on == date(2027, 5, 20)


def test_the_list_and_the_menu_offer_registering_to_those_who_may(client, store, front_desk,
                                                                   staff_of):
    login(client, front_desk)
    page = client.get(reverse("orders:customers")).content.decode()
    assert reverse(REGISTER) in page and "登记客户" in page
    login(client, staff_of(Role.CASHIER).user)
    assert reverse(REGISTER) not in client.get(reverse("orders:customers")).content.decode()


def test_the_page_names_the_stores_customer_with_the_mobile_and_links_their_file(
        client, store, front_desk):
    existing = CustomerFactory(store=store, mobile="13712345678", name="赵敏")
    login(client, front_desk)
    response = client.post(reverse(REGISTER), _form())
    page = response.content.decode()
    assert response.status_code == 400
    assert "该手机号已登记为 赵敏" in page
    assert reverse("orders:customer", args=[existing.pk]) in page
    assert Customer.objects.count() == 1


def test_a_specialist_is_told_the_mobile_is_taken_without_the_name_of_a_customer_not_theirs(
        client, store, specialist, other_specialist):
    existing = CustomerFactory(store=store, mobile="13712345678", name="赵敏敏",
                               assigned_to=other_specialist)
    login(client, specialist)
    page = client.post(reverse(REGISTER), _form()).content.decode()
    assert "赵**" in page and "赵敏敏" not in page
    assert reverse("orders:customer", args=[existing.pk]) not in page


def test_the_same_mobile_in_another_store_is_named_masked_and_registration_goes_on(
        client, store, other_store, front_desk):
    elsewhere = CustomerFactory(store=other_store, mobile="13712345678", name="钱多多")
    login(client, front_desk)
    response = client.post(reverse(REGISTER), _form(), follow=True)
    page = response.content.decode()
    assert Customer.objects.filter(store=store, mobile="13712345678").exists()
    assert "滨江店" in page and "钱**" in page and "钱多多" not in page
    assert reverse("orders:customer", args=[elsewhere.pk]) not in page


def test_a_general_manager_picks_the_store_and_sees_the_other_stores_customer_in_full(
        client, store, other_store, general_manager):
    elsewhere = CustomerFactory(store=other_store, mobile="13712345678", name="钱多多")
    login(client, general_manager)
    response = client.post(reverse(REGISTER), _form())
    assert response.status_code == 400 and "请选择门店" in response.content.decode()
    page = client.post(reverse(REGISTER), _form(store=store.pk), follow=True).content.decode()
    assert Customer.objects.get(store=store, mobile="13712345678")
    assert "钱多多" in page and reverse("orders:customer", args=[elsewhere.pk]) in page


def test_the_page_goes_back_to_a_safe_next_with_the_new_customer(client, store, front_desk):
    login(client, front_desk)
    response = client.post(reverse(REGISTER) + "?next=/desk/sale/?package=3", _form())
    customer = Customer.objects.get(mobile="13712345678")
    assert response["Location"] == f"/desk/sale/?package=3&customer={customer.pk}"
    response = client.post(reverse(REGISTER) + "?next=https://evil.example/",
                           _form(mobile="13712345679"))
    other = Customer.objects.get(mobile="13712345679")
    assert response["Location"] == reverse("orders:customer", args=[other.pk])


def test_a_form_sent_twice_registers_once(client, store, front_desk):
    login(client, front_desk)
    data = _form(request_key="a" * 32)
    first, again = client.post(reverse(REGISTER), data), client.post(reverse(REGISTER), data)
    assert first["Location"] == again["Location"]
    assert Customer.objects.count() == 1


def test_the_referrer_is_found_by_mobile_or_picked_among_names(client, store, front_desk):
    friend = CustomerFactory(store=store, name="周杰", mobile="13600000001")
    namesake = CustomerFactory(store=store, name="周杰伦", mobile="13600000002")
    login(client, front_desk)
    client.post(reverse(REGISTER), _form(referrer_q="13600000001", source="referral"))
    assert Customer.objects.get(mobile="13712345678").referrer == friend
    response = client.post(reverse(REGISTER), _form(mobile="13712345679", referrer_q="周杰"))
    page = response.content.decode()
    assert response.status_code == 400 and "找到多位客户" in page
    assert f'value="{namesake.pk}"' in page
    client.post(reverse(REGISTER), _form(mobile="13712345679", referrer_q="周杰",
                                         referrer=namesake.pk))
    assert Customer.objects.get(mobile="13712345679").referrer == namesake
    assert set(friend.referrals.all()) == {Customer.objects.get(mobile="13712345678")}


def test_a_referrer_outside_the_users_scope_is_refused(client, store, specialist,
                                                       other_specialist):
    hidden = CustomerFactory(store=store, name="吴用", assigned_to=other_specialist)
    login(client, specialist)
    response = client.post(reverse(REGISTER), _form(referrer_q=hidden.mobile))
    assert response.status_code == 400 and not Customer.objects.filter(
        mobile="13712345678").exists()
    response = client.post(reverse(REGISTER), _form(referrer_q="吴用", referrer=hidden.pk))
    assert response.status_code == 400


def test_the_referrer_search_answers_choices_in_scope(client, store, specialist,
                                                      other_specialist):
    mine = CustomerFactory(store=store, name="孙悟空", assigned_to=specialist)
    CustomerFactory(store=store, name="孙悟饭", assigned_to=other_specialist)
    login(client, specialist)
    page = client.get(reverse("orders:customer_referrers"), {"referrer_q": "孙"}).content.decode()
    assert "孙悟空" in page and "孙悟饭" not in page and f'value="{mine.pk}"' in page


@pytest.mark.parametrize("role", [Role.CASHIER, Role.PHOTOGRAPHER])
def test_the_page_refuses_roles_without_add_customer(client, staff_of, role):
    login(client, staff_of(role).user)
    assert client.get(reverse(REGISTER)).status_code == 403
    assert client.post(reverse(REGISTER), _form()).status_code == 403


# --- the API -------------------------------------------------------------------------------------

def test_the_api_registers_with_201(client, store, front_desk):
    login(client, front_desk)
    response = post(client, reverse(API), {"name": "王小美", "mobile": "13712345678",
                                           "wedding_on": "2027-05-20"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "王小美" and body["store"] == store.pk
    assert body["same_mobile_elsewhere"] == []


def test_the_api_answers_409_with_the_existing_customers_id(client, store, front_desk):
    existing = CustomerFactory(store=store, mobile="13712345678")
    login(client, front_desk)
    response = post(client, reverse(API), {"name": "王", "mobile": "13712345678"})
    assert response.status_code == 409
    assert response.json()["customer"] == existing.pk
    assert response.json()["code"] == "mobile_taken"


def test_the_api_names_the_other_stores_customer_masked(client, store, other_store, front_desk):
    CustomerFactory(store=other_store, mobile="13712345678", name="钱多多")
    login(client, front_desk)
    response = post(client, reverse(API), {"name": "王", "mobile": "13712345678"})
    assert response.status_code == 201
    assert response.json()["same_mobile_elsewhere"] == [
        {"store": "滨江店", "name": "钱**", "id": None}]


def test_the_same_idempotency_key_registers_one_customer(client, store, front_desk):
    login(client, front_desk)
    body = {"name": "王", "mobile": "13712345678"}
    first = client.post(reverse(API), body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post(reverse(API), body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("body, field", [
    ({"name": "王", "mobile": "123"}, "mobile"),
    ({"mobile": "13712345678"}, "name"),
    ({"name": "王", "mobile": "13712345678", "source": "tv"}, "source"),
    ({"name": "王", "mobile": "13712345678", "wedding_on": "next week"}, "wedding_on"),
    ({"name": "王", "mobile": "13712345678", "store": 987654}, "store"),
])
def test_the_api_answers_400_with_field_errors(client, store, front_desk, body, field):
    login(client, front_desk)
    response = post(client, reverse(API), body)
    assert response.status_code == 400 and field in response.json(), response.content


def test_the_api_refuses_a_referrer_out_of_scope_with_400(client, store, other_store, front_desk):
    far = CustomerFactory(store=other_store)
    login(client, front_desk)
    response = post(client, reverse(API), {"name": "王", "mobile": "13712345678",
                                           "referrer": far.pk, "source": SourceChannel.REFERRAL})
    assert response.status_code == 400 and "referrer" in response.json()


def test_a_general_manager_names_the_store_in_the_api(client, store, general_manager):
    login(client, general_manager)
    assert post(client, reverse(API), {"name": "王", "mobile": "13712345678"}).status_code == 400
    response = post(client, reverse(API), {"name": "王", "mobile": "13712345678",
                                           "store": store.pk})
    assert response.status_code == 201 and response.json()["store"] == store.pk


@pytest.mark.parametrize("role", [Role.CASHIER, Role.PHOTOGRAPHER])
def test_the_api_refuses_roles_without_add_customer(client, staff_of, role):
    login(client, staff_of(role).user)
    response = post(client, reverse(API), {"name": "王", "mobile": "13712345678"})
    assert response.status_code == 403
