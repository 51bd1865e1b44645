"""Customer data rules: valid Chinese mobiles, one customer per mobile per store, masking."""
import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.validators import mask_mobile, validate_mobile
from tests.factories import CustomerFactory


@pytest.mark.parametrize("mobile", ["1381234567", "138123456789", "12812345678", "1381234567a", ""])
def test_a_mobile_that_is_not_11_digits_starting_1_3_to_9_is_refused(mobile):
    with pytest.raises(ValidationError, match="11 位手机号"):
        validate_mobile(mobile)


@pytest.mark.parametrize("mobile", ["13812345678", "19912345678", "15000000000"])
def test_valid_mobiles_pass(mobile):
    validate_mobile(mobile)


def test_mobiles_are_masked_to_the_first_three_and_last_four_digits():
    assert mask_mobile("13812345678") == "138****5678"


@pytest.mark.django_db
def test_a_customer_with_a_10_digit_mobile_is_not_saved(store):
    customer = Customer(store=store, name="李四", mobile="1381234567")
    with pytest.raises(ValidationError) as err:
        customer.full_clean()
    assert "mobile" in err.value.message_dict


@pytest.mark.django_db
def test_the_same_mobile_twice_in_one_store_is_refused_but_allowed_in_another(store, other_store):
    CustomerFactory(store=store, mobile="13900000001")
    with pytest.raises(ValidationError, match="本门店已有"):
        Customer(store=store, name="重复", mobile="13900000001").full_clean()
    Customer(store=other_store, name="另一家店", mobile="13900000001").full_clean()
