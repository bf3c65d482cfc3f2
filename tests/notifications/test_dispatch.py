import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import InvalidInput
from notifications.models import Notification
from notifications.services import alert_dispatch
from tests.factories import UserFactory
from tests.notifications.factories import AlertFactory, ChannelFactory, RouteFactory

pytestmark = pytest.mark.django_db


def targets(rows):
    return sorted(row.recipient for row in rows)


def test_alert_goes_to_every_matching_route_and_each_target_once():
    duty, mail, other = (ChannelFactory(name=n) for n in ("duty", "mail", "other"))
    RouteFactory(kinds=["sla_breach"], channels=[duty, mail])
    RouteFactory(kinds=["sla_breach", "case_red"], channels=[duty])
    RouteFactory(kinds=["case_red"], channels=[other])

    rows = alert_dispatch(alert=AlertFactory(kind="sla_breach"))

    assert targets(rows) == ["duty", "mail"]
    assert Notification.objects.count() == 2


@pytest.mark.parametrize(
    ("route_filter", "alert_fields", "matches"),
    [
        ({"risk_levels": ["red"]}, {"risk_level": "red"}, True),
        ({"risk_levels": ["red"]}, {"risk_level": "yellow"}, False),
        ({"store_codes": ["SH001"]}, {"store_code": "SH001"}, True),
        ({"store_codes": ["SH001"]}, {"store_code": "BJ001"}, False),
        ({"regions": ["华东"]}, {"region": "华东"}, True),
        ({"regions": ["华东"]}, {"region": "华北"}, False),
        ({"escalation_levels": [2]}, {"kind": "escalation", "escalation_level": 2}, True),
        ({"escalation_levels": [2]}, {"kind": "escalation", "escalation_level": 1}, False),
        ({"escalation_levels": [2]}, {"kind": "escalation", "escalation_level": None}, False),
        ({"kinds": ["case_red"]}, {"kind": "sla_warning"}, False),
        ({"kinds": []}, {"kind": "sla_warning"}, False),
        ({"is_active": False}, {}, False),
    ],
)
def test_routing_rules_filter_by_kind_risk_store_region_and_level(
    route_filter, alert_fields, matches
):
    RouteFactory(
        **{"kinds": ["sla_warning", "escalation"], **route_filter},
        channels=[ChannelFactory(name="duty")],
    )
    rows = alert_dispatch(alert=AlertFactory(**{"kind": "sla_warning", **alert_fields}))
    assert targets(rows) == (["duty"] if matches else [])


def test_switched_off_channel_gets_nothing():
    RouteFactory(channels=[ChannelFactory(name="off", is_active=False)])
    assert alert_dispatch(alert=AlertFactory()) == []


def test_users_by_role_and_by_name_get_one_email_row_each(supervisor, manager, handler):
    for user, email in ((supervisor, "sup@example.com"), (manager, "boss@example.com")):
        user.email = email
        user.save()
    RouteFactory(roles=["supervisor"], usernames=["manager"])
    RouteFactory(roles=["supervisor", "manager"])

    rows = alert_dispatch(alert=AlertFactory())

    assert targets(rows) == ["boss@example.com", "sup@example.com"]
    assert sorted(row.user.username for row in rows) == ["manager", "supervisor"]


def test_user_without_email_gets_a_failed_row_that_says_why(supervisor):
    RouteFactory(roles=["supervisor"])
    [row] = alert_dispatch(alert=AlertFactory())
    assert row.status == "failed"
    assert row.last_error == "This user has no email address."


def test_same_dedupe_key_twice_gives_one_row_per_target_and_queues_once(
    django_capture_on_commit_callbacks,
):
    RouteFactory(channels=[ChannelFactory(name="a"), ChannelFactory(name="b")])
    alert = AlertFactory(dedupe_key="sla:42:breach")

    with django_capture_on_commit_callbacks() as first:
        rows_first = alert_dispatch(alert=alert)
    with django_capture_on_commit_callbacks() as second:
        rows_second = alert_dispatch(alert=alert)

    assert [r.pk for r in rows_second] == [r.pk for r in rows_first]
    assert Notification.objects.filter(alert_key="sla:42:breach").count() == 2
    assert len(first) == 1
    assert second == []


def test_delivery_is_queued_only_when_the_callers_transaction_commits(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "notifications.tasks.notification_deliver_task.delay", lambda pk: queued.append(pk)
    )
    RouteFactory(channels=[ChannelFactory(name="a")])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [row] = alert_dispatch(alert=AlertFactory())
    assert queued == []
    callbacks[0]()
    assert queued == [row.pk]


def test_broker_outage_at_commit_does_not_fail_the_caller(
    django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(pk):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("notifications.tasks.notification_deliver_task.delay", broker_down)
    RouteFactory(channels=[ChannelFactory(name="a")])
    with django_capture_on_commit_callbacks(execute=True):
        [row] = alert_dispatch(alert=AlertFactory())
    row.refresh_from_db()
    assert row.status == "pending"


def test_dispatch_work_does_not_grow_with_the_delivery_log(django_capture_on_commit_callbacks):
    RouteFactory(channels=[ChannelFactory(name="a"), ChannelFactory(name="b")])
    with CaptureQueriesContext(connection) as empty_log:
        alert_dispatch(alert=AlertFactory())
    for _ in range(100):
        alert_dispatch(alert=AlertFactory())
    with CaptureQueriesContext(connection) as full_log:
        alert_dispatch(alert=AlertFactory())
    assert Notification.objects.count() == 204
    assert len(full_log) == len(empty_log)
    assert len(full_log) <= 6


def test_the_outbox_keeps_no_full_phone_number():
    RouteFactory(channels=[ChannelFactory(name="a")])
    [row] = alert_dispatch(alert=AlertFactory(title="13812345678 投诉", extra={"p": "13812345678"}))
    assert "13812345678" not in str(row.alert)
    assert row.alert["title"] == "138****5678 投诉"


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"kind": "nonsense"}, "kind"),
        ({"dedupe_key": ""}, "dedupe_key"),
        ({"dedupe_key": "x" * 201}, "dedupe_key"),
    ],
)
def test_a_malformed_alert_is_refused_with_a_field_error(fields, error_field):
    with pytest.raises(InvalidInput) as raised:
        alert_dispatch(alert=AlertFactory(**fields))
    assert error_field in raised.value.fields


def test_users_with_emails_from_factories_are_routed_by_username():
    UserFactory(username="duty_lead", email="lead@example.com")
    RouteFactory(usernames=["duty_lead"])
    assert targets(alert_dispatch(alert=AlertFactory())) == ["lead@example.com"]


def test_the_alerts_own_roles_reach_those_users_by_email_without_any_route(
    supervisor, manager, legal_pr, handler
):
    for user in (supervisor, manager, legal_pr, handler):
        user.email = f"{user.username}@example.com"
        user.save()

    rows = alert_dispatch(alert=AlertFactory(kind="escalation", roles=("manager", "legal_pr")))

    assert targets(rows) == ["legal_pr@example.com", "manager@example.com"]
    assert {row.target_key for row in rows} == {f"user:{manager.pk}", f"user:{legal_pr.pk}"}


def test_alert_roles_add_to_route_targets_and_each_user_is_emailed_once(supervisor, manager):
    for user in (supervisor, manager):
        user.email = f"{user.username}@example.com"
        user.save()
    RouteFactory(roles=["supervisor"], channels=[ChannelFactory(name="duty")])

    rows = alert_dispatch(alert=AlertFactory(roles=("supervisor", "manager")))

    assert targets(rows) == ["duty", "manager@example.com", "supervisor@example.com"]
    assert Notification.objects.count() == 3


def test_inactive_users_with_an_alert_role_are_not_emailed(supervisor):
    supervisor.email = "sup@example.com"
    supervisor.is_active = False
    supervisor.save()
    assert alert_dispatch(alert=AlertFactory(roles=("supervisor",))) == []


def test_alert_roles_travel_with_the_outbox_row(supervisor):
    supervisor.email = "sup@example.com"
    supervisor.save()
    [row] = alert_dispatch(alert=AlertFactory(roles=("supervisor",)))
    assert row.alert["roles"] == ["supervisor"]


@pytest.mark.parametrize("roles", [("nobody",), "supervisor", (1,)])
def test_an_alert_with_unknown_roles_is_refused_with_a_field_error(roles):
    with pytest.raises(InvalidInput) as raised:
        alert_dispatch(alert=AlertFactory(roles=roles))
    assert "roles" in raised.value.fields
