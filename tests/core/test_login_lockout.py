"""Passwords cannot be guessed without limit: after too many wrong ones an account is locked from
that address — on the admin login, the store login and the token endpoint — while its owner
elsewhere and colleagues behind the same address still log in; a supervisor can unlock it."""

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from core.security import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STORE_NAT = "203.0.113.7"
ELSEWHERE = "198.51.100.9"
ADMIN_LOGIN = "/admin/login/"
STORE_LOGIN = "/login/"
TOKEN = "/api/v1/auth/token/"


def post_login(client, url, username, password, address):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def guess(client, url, username, times, address=STORE_NAT):
    for _ in range(times):
        post_login(client, url, username, "wrong-password", address)


def logged_in(client):
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", [ADMIN_LOGIN, STORE_LOGIN])
def test_after_five_wrong_passwords_the_right_one_is_refused_from_that_address(client, url):
    UserFactory(username="handler", roles=["handler", "store_staff"], is_staff=True)
    guess(client, url, "handler", 5)

    response = post_login(client, url, "handler", "pw-123456", STORE_NAT)

    assert response.status_code == 429
    assert not logged_in(client)
    assert "登录失败次数过多" in response.content.decode()


@pytest.mark.parametrize("url", [ADMIN_LOGIN, STORE_LOGIN])
def test_colleagues_behind_the_same_address_and_the_owner_elsewhere_still_log_in(client, url):
    UserFactory(username="handler", roles=["handler"], is_staff=True)
    UserFactory(username="colleague", roles=["handler"], is_staff=True)
    guess(client, url, "handler", 5)

    colleague = post_login(client, url, "colleague", "pw-123456", STORE_NAT)
    assert colleague.status_code == 302 and logged_in(client)
    client.logout()
    owner = post_login(client, url, "handler", "pw-123456", ELSEWHERE)
    assert owner.status_code == 302 and logged_in(client)


def test_four_wrong_passwords_then_the_right_one_logs_in_and_clears_the_count(client):
    UserFactory(username="handler", roles=["handler"], is_staff=True)
    guess(client, ADMIN_LOGIN, "handler", 4)

    assert post_login(client, ADMIN_LOGIN, "handler", "pw-123456", STORE_NAT).status_code == 302
    client.logout()
    guess(client, ADMIN_LOGIN, "handler", 4)
    assert post_login(client, ADMIN_LOGIN, "handler", "pw-123456", STORE_NAT).status_code == 302


def test_the_token_endpoint_stops_answering_a_guessed_account(client):
    UserFactory(username="integration", roles=["handler"])
    for _ in range(5):
        client.post(TOKEN, {"username": "integration", "password": "nope"}, REMOTE_ADDR=STORE_NAT)

    locked = client.post(
        TOKEN, {"username": "integration", "password": "pw-123456"}, REMOTE_ADDR=STORE_NAT
    )
    elsewhere = client.post(
        TOKEN, {"username": "integration", "password": "pw-123456"}, REMOTE_ADDR=ELSEWHERE
    )

    assert locked.status_code in (400, 429) and "token" not in locked.json()
    assert elsewhere.status_code == 200 and elsewhere.json()["token"]


def test_a_supervisor_unlocks_an_account_in_the_admin(client, supervisor):
    from axes.models import AccessAttempt

    UserFactory(username="handler", roles=["handler"], is_staff=True)
    guess(client, ADMIN_LOGIN, "handler", 5)
    attempt = AccessAttempt.objects.get(username="handler")
    client.force_login(supervisor)

    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert post_login(client, ADMIN_LOGIN, "handler", "pw-123456", STORE_NAT).status_code == 302


def test_the_command_line_unlocks_an_account_too(client):
    UserFactory(username="handler", roles=["handler"], is_staff=True)
    guess(client, ADMIN_LOGIN, "handler", 5)

    call_command("axes_reset_username", "handler", verbosity=0)

    assert post_login(client, ADMIN_LOGIN, "handler", "pw-123456", STORE_NAT).status_code == 302


def test_handlers_cannot_unlock_accounts(client, handler):
    client.force_login(handler)

    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


class FakeRequest:
    def __init__(self, remote, forwarded=""):
        self.META = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}


def test_the_counted_address_is_the_peer_unless_trusted_proxies_are_configured(settings):
    request = FakeRequest("10.0.0.2", forwarded="6.6.6.6, 203.0.113.7")

    assert client_ip(request) == "10.0.0.2"
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        assert client_ip(request) == "203.0.113.7"


def test_the_lockout_admin_speaks_chinese(client, supervisor):
    client.force_login(supervisor)

    index = client.get(reverse("admin:index")).content.decode()
    attempts = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()

    assert "登录保护" in index and "Axes" not in index
    assert "登录尝试" in attempts and "Access attempts" not in attempts
