"""A name that already ends with a title is not given a second one (issue 17 item 14: the
callback script greeted 周女士女士)."""
import pytest

from customers.models import Customer, Title, title_after


@pytest.mark.parametrize(("name", "title", "shown"), [
    ("张三", Title.MS, "张三女士"), ("周女士", Title.MS, "周女士"), ("王先生", Title.MS, "王先生"),
    ("李小姐", Title.MISS, "李小姐"), ("何", Title.MR, "何先生"), ("赵四", "unknown", "赵四"),
])
def test_the_title_follows_the_name_once(name, title, shown):
    assert str(Customer(name=name, title=title)) == shown
    assert f"{name}{title_after(name, title)}" == shown
