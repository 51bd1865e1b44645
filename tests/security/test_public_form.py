"""The public complaint page (/complain/, no login): rate-limited per address and per mobile,
bounded in size, its text stored as typed and shown as text everywhere staff read it.
(The basics are in tests/complaints/test_views.py; these are the abuse cases around them.)"""
import pytest
from django.urls import reverse

from complaints.models import Complaint
from complaints.views import PUBLIC_LIMIT_PER_IP_PER_HOUR, PUBLIC_LIMIT_PER_MOBILE_PER_DAY
from staff.models import Store

pytestmark = pytest.mark.django_db

ATTACK = '<img src=x onerror="alert(1)"><script>alert(2)</script>{{ 7*7 }}'


def submit(client, store, **fields):
    data = {"store": store.pk, "name": "王女士", "mobile": "13600000001", "category": "other",
            "content": "门店空调太冷"}
    data.update(fields)
    return client.post(reverse("public_complaint"), data, REMOTE_ADDR="10.2.0.1")


def test_the_limits_are_small(client):
    assert PUBLIC_LIMIT_PER_IP_PER_HOUR <= 10 and PUBLIC_LIMIT_PER_MOBILE_PER_DAY <= 5


def test_a_forged_forwarded_for_header_does_not_reset_the_address_limit(client, store):
    for i in range(PUBLIC_LIMIT_PER_IP_PER_HOUR + 2):
        response = client.post(reverse("public_complaint"), {
            "store": store.pk, "name": "王", "mobile": f"136000002{i:02d}", "category": "other",
            "content": f"第 {i} 次"}, REMOTE_ADDR="10.2.0.9", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}")
    assert response.status_code == 429
    assert Complaint.objects.count() == PUBLIC_LIMIT_PER_IP_PER_HOUR
    assert set(Complaint.objects.values_list("source_ip", flat=True)) == {"10.2.0.9"}


def test_the_mobile_limit_holds_across_addresses(client, store):
    statuses = [client.post(reverse("public_complaint"), {
        "store": store.pk, "name": "王", "mobile": "13600000300", "category": "other",
        "content": f"第 {i} 次"}, REMOTE_ADDR=f"10.3.0.{i}").status_code
        for i in range(PUBLIC_LIMIT_PER_MOBILE_PER_DAY + 1)]
    assert statuses[-1] == 429 and Complaint.objects.count() == PUBLIC_LIMIT_PER_MOBILE_PER_DAY


@pytest.mark.parametrize(("field", "value"), [
    ("name", "王" * 33),
    ("content", "长" * 1001),
    ("mobile", "1360000000123"),
    ("mobile", "0571888800"),
])
def test_oversized_or_malformed_fields_are_refused(client, store, field, value):
    response = submit(client, store, **{field: value})
    assert response.status_code == 400 and not Complaint.objects.exists()


def test_a_huge_request_body_is_refused_before_it_is_read(client, store):
    response = submit(client, store, content="长" * 1_000_000)  # ~3 MB of UTF-8
    assert response.status_code == 400 and not Complaint.objects.exists()


def test_a_flood_of_fields_is_refused(client, store):
    data = {"store": store.pk, "name": "王", "mobile": "13600000400", "category": "other",
            "content": "x", **{f"f{i}": "1" for i in range(1200)}}
    response = client.post(reverse("public_complaint"), data)
    assert response.status_code == 400 and not Complaint.objects.exists()


def test_a_closed_store_cannot_be_chosen(client, store):
    closed = Store.objects.create(code="S09", name="已关店", is_active=False)
    response = submit(client, closed)
    assert response.status_code == 400 and not Complaint.objects.exists()


def test_markup_is_stored_as_typed_and_shown_as_text_to_staff(client, store, supervisor):
    submit(client, store, name="<b>王</b>", content=ATTACK)
    complaint = Complaint.objects.get()
    assert complaint.content == ATTACK  # stored exactly as typed, no "cleaning" that loses text
    client.force_login(supervisor)
    for url in (reverse("complaints:detail", args=[complaint.pk]), reverse("complaints:archive")):
        html = client.get(url).content.decode()
        assert "<b>王</b>" not in html and "<img src=x" not in html and "<script>alert" not in html
        assert "&lt;b&gt;王&lt;/b&gt;" in html, url
    detail = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in detail
    assert "{{ 7*7 }}" in detail  # text, never a template


def test_the_api_returns_the_text_as_json_text(client, store, supervisor):
    submit(client, store, content=ATTACK)
    complaint = Complaint.objects.get()
    client.force_login(supervisor)
    response = client.get(f"/api/complaints/{complaint.pk}/")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["content"] == ATTACK


def test_the_form_page_for_a_refused_submission_echoes_text_escaped(client, store):
    response = submit(client, store, name=ATTACK[:32], mobile="bad")
    html = response.content.decode()
    assert response.status_code == 400 and "<img src=x" not in html and "&lt;img src=x" in html
