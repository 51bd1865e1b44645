"""Login lockout (django-axes): five failed logins for one user name from one address lock that
pair out, on every way in (login page, admin, API token), until an administrator resets it."""
import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from staff.models import User
from studio.models import AuditAction, AuditEntry
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234"  # tests.factories
HOME, ELSEWHERE = "10.1.1.1", "10.9.9.9"


@pytest.fixture
def person(specialist) -> User:
    return specialist


def log_in(client: Client, username: str, password: str, address: str = HOME):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=address)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int, address: str = HOME) -> None:
    for _ in range(times):
        response = log_in(client, username, "wrong-password", address)
        assert response.status_code in (200, 429) and not logged_in(client)


def test_four_failures_do_not_lock(client, person):
    fail(client, person.username, 4)
    assert log_in(client, person.username, PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_fifth_failure_locks_the_user_out_at_that_address(client, person):
    fail(client, person.username, 5)
    response = log_in(client, person.username, PASSWORD)  # even the right password
    assert response.status_code == 429 and not logged_in(client)
    html = response.content.decode()
    assert 'data-testid="locked-out"' in html and "联系系统管理员" in html
    attempt = AccessAttempt.objects.get(username=person.username)
    assert attempt.ip_address == HOME and attempt.failures_since_start >= 5


def test_the_lock_holds_for_that_pair_only(client, person, other_specialist):
    fail(client, person.username, 5)
    # The owner elsewhere and a colleague at the same address still get in.
    assert log_in(Client(), person.username, PASSWORD, ELSEWHERE).status_code == 302
    assert log_in(Client(), other_specialist.username, PASSWORD, HOME).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, person):
    fail(client, person.username, 4)
    assert log_in(client, person.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    fail(client, person.username, 4)
    assert log_in(client, person.username, PASSWORD).status_code == 302


def test_the_lock_does_not_wear_off_by_itself(client, person, settings):
    assert settings.AXES_COOLOFF_TIME is None
    fail(client, person.username, 5)
    AccessAttempt.objects.update(attempt_time="2000-01-01T00:00:00Z")  # long ago
    assert log_in(client, person.username, PASSWORD).status_code == 429


def test_an_administrator_resets_the_lock_in_the_admin(client, person):
    fail(client, person.username, 5)
    admin = User.objects.create_superuser("root", password="root-pass-9")
    attempt = AccessAttempt.objects.get(username=person.username)
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(admin)
    listing = staff.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and person.username in listing.content.decode()
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    token = staff.get(url).context["csrf_token"]
    assert staff.post(url, {"post": "yes", "csrfmiddlewaretoken": token}).status_code == 302
    assert not AccessAttempt.objects.exists()
    assert log_in(client, person.username, PASSWORD).status_code == 302


def test_a_store_manager_in_the_admin_cannot_reset_it(client, person, manager):
    fail(client, person.username, 5)
    staff = Client()
    staff.force_login(manager)
    attempt = AccessAttempt.objects.get(username=person.username)
    response = staff.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]),
                          {"post": "yes"})
    assert response.status_code in (302, 403) and AccessAttempt.objects.exists()


def test_the_command_line_reset_works_too(client, person):
    fail(client, person.username, 5)
    call_command("axes_reset_username", person.username)
    assert log_in(client, person.username, PASSWORD).status_code == 302


def test_failures_on_the_admin_login_count_as_well(client, person):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": person.username,
                                             "password": "wrong-password"}, REMOTE_ADDR=HOME)
    assert log_in(client, person.username, PASSWORD).status_code == 429


def test_the_api_token_endpoint_is_locked_too(client, person):
    url = reverse("api:token")
    for _ in range(5):
        response = client.post(url, {"username": person.username, "password": "wrong"},
                               REMOTE_ADDR=HOME)
        assert response.status_code in (400, 429)
    response = client.post(url, {"username": person.username, "password": PASSWORD},
                           REMOTE_ADDR=HOME)
    assert response.status_code in (400, 403, 429) and "token" not in response.json()
    # …and the login page refuses the same pair: one count for every way in.
    assert log_in(client, person.username, PASSWORD).status_code == 429


def test_the_api_token_endpoint_still_hands_out_tokens(client, person):
    response = client.post(reverse("api:token"),
                           {"username": person.username, "password": PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_a_successful_login_is_written_to_the_audit_log(client, person):
    log_in(client, person.username, PASSWORD)
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert (entry.actor, entry.ip_address) == (person, HOME)


def test_a_failed_login_writes_no_login_entry(client, person):
    fail(client, person.username, 1)
    assert not AuditEntry.objects.filter(action=AuditAction.LOGIN).exists()


def test_logins_without_a_request_still_check_the_password():
    # The test client's login() and a shell call authenticate() without a request: there is
    # no address to lock, and the password check still decides.
    member = StaffMemberFactory()
    assert authenticate(username=member.user.username, password=PASSWORD) == member.user
    assert authenticate(username=member.user.username, password="wrong") is None
