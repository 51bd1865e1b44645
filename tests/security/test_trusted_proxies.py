"""The client's address behind the TLS proxy (issue 18, studio/client_ip.py).

STUDIO_TRUSTED_PROXIES unset: REMOTE_ADDR, whatever X-Forwarded-For says. Set to a count or to
the proxies' addresses: the address the nearest untrusted hop was seen at, never an entry the
client wrote itself. The login lockout, the public form's limit and the audit log all follow it.
"""
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse

from complaints.models import Complaint
from complaints.views import PUBLIC_LIMIT_PER_IP_PER_HOUR
from studio.audit import client_ip
from studio.client_ip import check_trusted_proxies, parse_trusted_proxies
from studio.models import AuditAction, AuditEntry
from tests.security import test_access_grid as grid
from tests.security.test_access_grid import world  # noqa: F401 (the grid's fixture)

PROXY, INNER, OUTER = "10.0.0.2", "10.0.0.3", "172.16.5.9"
CUSTOMER, OTHER = "203.0.113.7", "198.51.100.20"


def ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


def test_without_the_setting_forwarded_for_is_ignored(settings):
    settings.STUDIO_TRUSTED_PROXIES = ""
    assert ip(PROXY, CUSTOMER) == PROXY
    assert ip(CUSTOMER) == CUSTOMER


@pytest.mark.parametrize("spec", ["1", f"{PROXY}", "10.0.0.0/24"])
def test_one_proxy(settings, spec):
    settings.STUDIO_TRUSTED_PROXIES = spec
    assert ip(PROXY, CUSTOMER) == CUSTOMER
    assert ip(PROXY, f"{CUSTOMER}:51234") == CUSTOMER  # a proxy that writes the port
    assert ip(PROXY) == PROXY  # straight to the web, no hop (a health check on the host)


@pytest.mark.parametrize("spec", ["2", f"{INNER}, {OUTER}", "10.0.0.0/24,172.16.0.0/12"])
def test_two_proxies(settings, spec):
    settings.STUDIO_TRUSTED_PROXIES = spec
    # The outer proxy writes the customer, the inner one appends the outer's address.
    assert ip(INNER, f"{CUSTOMER}, {OUTER}") == CUSTOMER
    assert ip(INNER, f"{CUSTOMER},{OUTER}") == CUSTOMER


@pytest.mark.parametrize(("spec", "hops"), [
    ("1", ""), (PROXY, ""), ("2", f", {OUTER}"), ("10.0.0.0/24,172.16.0.0/12", f", {OUTER}")])
def test_entries_a_client_prepends_are_never_read(settings, spec, hops):
    settings.STUDIO_TRUSTED_PROXIES = spec
    assert ip(PROXY, f"127.0.0.1, {OTHER}, {CUSTOMER}{hops}") == CUSTOMER
    assert ip(PROXY, f"nonsense, {CUSTOMER}{hops}") == CUSTOMER


@pytest.mark.parametrize("spec", [PROXY, "10.0.0.0/24"])
def test_a_direct_client_forging_the_header_gets_its_own_address(settings, spec):
    settings.STUDIO_TRUSTED_PROXIES = spec
    assert ip(CUSTOMER, f"{OTHER}, {PROXY}") == CUSTOMER
    assert ip(CUSTOMER, OTHER) == CUSTOMER


def test_a_hop_that_does_not_parse_falls_back_to_the_proxy(settings):
    settings.STUDIO_TRUSTED_PROXIES = "1"
    assert ip(PROXY, "unknown") == PROXY
    settings.STUDIO_TRUSTED_PROXIES = PROXY
    assert ip(PROXY, "unknown") == PROXY


def test_ipv6_proxy_and_client(settings):
    settings.STUDIO_TRUSTED_PROXIES = "fd00::/8"
    assert ip("fd00::2", "[2001:db8::7]:443") == "2001:db8::7"
    assert ip("fd00::2", "2001:db8::7, fd00::9") == "2001:db8::7"


def test_a_bad_setting_says_what_it_expects():
    with pytest.raises(ImproperlyConfigured, match="STUDIO_TRUSTED_PROXIES"):
        parse_trusted_proxies("the proxy")


def test_manage_py_check_refuses_a_bad_setting(settings):
    settings.STUDIO_TRUSTED_PROXIES = "10.0.0.300"
    errors = check_trusted_proxies()
    assert [error.id for error in errors] == ["studio.E018"]
    assert "STUDIO_TRUSTED_PROXIES" in errors[0].msg
    settings.STUDIO_TRUSTED_PROXIES = "2"
    assert check_trusted_proxies() == []


# --- what reads it ---------------------------------------------------------------------------

def behind_proxy(customer: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=customer)


@pytest.mark.django_db
def test_the_lockout_is_per_customer_behind_the_proxy(settings, specialist):
    from axes.models import AccessAttempt

    settings.STUDIO_TRUSTED_PROXIES = "1"
    attacker, colleague = behind_proxy(OTHER), behind_proxy(CUSTOMER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(reverse("login"), {"username": specialist.username,
                                         "password": "wrong-password"})
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {OTHER}
    refused = attacker.post(reverse("login"), {"username": specialist.username,
                                               "password": "pass-1234"})
    assert refused.status_code == 429
    # The same user name from another customer's address behind the same proxy still logs in.
    response = colleague.post(reverse("login"), {"username": specialist.username,
                                                 "password": "pass-1234"})
    assert response.status_code == 302 and "_auth_user_id" in colleague.session


def complain(client: Client, store, i: int):
    return client.post(reverse("public_complaint"), {
        "store": store.pk, "name": "王", "mobile": f"136000005{i:02d}", "category": "other",
        "content": f"第 {i} 次"})


@pytest.mark.django_db
def test_the_public_form_limit_is_per_customer_behind_the_proxy(settings, store):
    settings.STUDIO_TRUSTED_PROXIES = "1"
    noisy = behind_proxy(f"1.2.3.4, {OTHER}")  # its own prepended entry changes nothing
    statuses = [complain(noisy, store, i).status_code
                for i in range(PUBLIC_LIMIT_PER_IP_PER_HOUR + 1)]
    assert statuses[-1] == 429
    assert set(Complaint.objects.values_list("source_ip", flat=True)) == {OTHER}
    # Another customer through the same proxy is not stopped with them.
    assert complain(behind_proxy(CUSTOMER), store, 50).status_code == 200
    assert Complaint.objects.filter(source_ip=CUSTOMER).count() == 1


@pytest.mark.django_db
def test_the_audit_log_records_the_customer_not_the_proxy(settings, world):  # noqa: F811
    settings.STUDIO_TRUSTED_PROXIES = PROXY
    task = world.callback["A"]
    client = behind_proxy(CUSTOMER)
    client.force_login(world.users["specialist"])
    assert client.post(reverse("callbacks:reveal", kwargs={"pk": task.pk})).status_code == 200
    assert AuditEntry.objects.get(action=AuditAction.REVEAL_MOBILE).ip_address == CUSTOMER


# A sample of the access grid through one configured proxy: the address changes nothing about
# who sees what. (The whole grid also passes with STUDIO_TRUSTED_PROXIES=1 in the environment.)
PROXIED_ROWS = grid.GRID[::7]


@pytest.mark.parametrize("row", PROXIED_ROWS, ids=lambda row: row.id)
@pytest.mark.clock
def test_the_access_grid_behind_one_proxy(settings, monkeypatch, world, row):  # noqa: F811
    settings.STUDIO_TRUSTED_PROXIES = "1"

    def proxied_client(user) -> Client:
        client = behind_proxy(CUSTOMER)
        if user is not None:
            client.force_login(user)
        return client

    monkeypatch.setattr(grid, "_client_for", proxied_client)
    grid.test_access_grid(world, row)
