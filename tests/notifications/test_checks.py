"""Email alerts must not be marked sent while mail goes nowhere (console backend in production)."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from notifications.checks import email_backend_check
from notifications.services import alert_dispatch, notification_deliver
from tests.factories import UserFactory
from tests.notifications.factories import AlertFactory, ChannelFactory, RouteFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
CONSOLE = "django.core.mail.backends.console.EmailBackend"


@pytest.fixture
def console_mail(settings):
    """What production gets when EMAIL_HOST is empty."""
    settings.DEBUG = False
    settings.EMAIL_BACKEND = CONSOLE
    return settings


def test_an_email_alert_through_the_console_backend_is_not_marked_sent(console_mail):
    RouteFactory(channels=[ChannelFactory(name="mail", kind="email", recipients=["d@e.com"])])
    [row] = alert_dispatch(alert=AlertFactory(), now=NOW)

    outcome = notification_deliver(notification_id=row.pk, now=NOW)

    row.refresh_from_db()
    assert outcome.status == "retrying"
    assert row.last_error == "Email is not set up (EMAIL_HOST is empty), so nothing was mailed."


def test_an_email_to_a_user_by_role_through_the_console_backend_is_not_marked_sent(console_mail):
    UserFactory(username="sup", roles=["supervisor"], email="sup@example.com")
    [row] = alert_dispatch(alert=AlertFactory(roles=("supervisor",)), now=NOW)
    assert notification_deliver(notification_id=row.pk, now=NOW).status == "retrying"


def test_while_developing_the_console_backend_counts_as_sent(console_mail, capsys):
    console_mail.DEBUG = True
    RouteFactory(channels=[ChannelFactory(name="mail", kind="email", recipients=["d@e.com"])])
    [row] = alert_dispatch(alert=AlertFactory(), now=NOW)
    assert notification_deliver(notification_id=row.pk, now=NOW).status == "sent"
    assert "d@e.com" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("count", "answer"),
    [(1, "Accepted for 1 recipient."), (2, "Accepted for 2 recipients.")],
)
def test_the_accepted_answer_counts_recipients_in_words(count, answer):
    recipients = [f"d{i}@example.com" for i in range(count)]
    RouteFactory(channels=[ChannelFactory(name="mail", kind="email", recipients=recipients)])
    [row] = alert_dispatch(alert=AlertFactory(), now=NOW)
    notification_deliver(notification_id=row.pk, now=NOW)
    row.refresh_from_db()
    assert row.response == answer


def test_deploy_check_warns_when_an_email_channel_exists_but_mail_goes_nowhere(console_mail):
    ChannelFactory(name="mail", kind="email", recipients=["d@e.com"])
    assert [w.id for w in email_backend_check()] == ["notifications.W001"]


def test_deploy_check_warns_when_a_route_emails_people_but_mail_goes_nowhere(console_mail):
    RouteFactory(roles=["supervisor"])
    assert [w.id for w in email_backend_check()] == ["notifications.W001"]


def test_deploy_check_is_quiet_when_nothing_is_emailed(console_mail):
    ChannelFactory(name="mail", kind="email", recipients=["d@e.com"], is_active=False)
    RouteFactory(roles=["supervisor"], is_active=False)
    RouteFactory(channels=[ChannelFactory(name="ding", kind="dingtalk")])
    assert email_backend_check() == []


def test_deploy_check_is_quiet_when_smtp_is_set_up(console_mail):
    console_mail.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    ChannelFactory(name="mail", kind="email", recipients=["d@e.com"])
    assert email_backend_check() == []


def test_check_deploy_reports_it(console_mail):
    ChannelFactory(name="mail", kind="email", recipients=["d@e.com"])
    with pytest.raises(SystemCheckError, match="notifications.W001"):
        call_command("check", "--deploy", "--tag", "notifications", "--fail-level", "WARNING")
