"""Health: `/healthz` is liveness (the web process and its database) and stays 200 when workers
are down; `/readyz` is the deep status and names what is wrong; supervisors see it in the admin.

The all-green deep answer needs a real worker and beat and is asserted in test_integration.py.
"""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from escalation.services import sweeper_heartbeat_record
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_no_worker_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch("escalation.views._database_ok", return_value=False):
        response = client.get("/healthz")

    assert (response.status_code, response.json()["database"]) == (503, "down")


def test_healthz_never_asks_the_broker(client):
    with (
        mock.patch("escalation.views._ping_workers") as ping,
        mock.patch("escalation.views._redis_ok") as redis_ok,
    ):
        client.get("/healthz")

    assert not ping.called and not redis_ok.called


def test_readyz_answers_503_naming_the_worker_when_none_answers(client):
    sweeper_heartbeat_record(duration_ms=1, processed=0)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["problems"] == ["worker"]
    assert (body["database"], body["redis"], body["worker"]) == ("ok", "ok", "down")
    assert body["sweeper"]["status"] == "ok"


def test_readyz_is_200_when_everything_answers(client):
    sweeper_heartbeat_record(duration_ms=1, processed=0)

    with mock.patch("escalation.views._ping_workers", return_value=True):
        response = client.get("/readyz")

    assert (response.status_code, response.json()["problems"]) == (200, [])


def test_readyz_points_at_beat_when_a_live_worker_gets_no_sweeps(client):
    with time_machine.travel(timezone.now() - timedelta(minutes=2, seconds=5)):
        sweeper_heartbeat_record(duration_ms=1, processed=0)

    with mock.patch("escalation.views._ping_workers", return_value=True):
        body = client.get("/readyz").json()

    assert body["problems"] == ["beat", "sweeper"]
    assert body["sweeper"]["seconds_ago"] >= 125


def test_readyz_reports_a_sweeper_that_never_ran_as_stale(client):
    body = client.get("/readyz").json()

    assert (body["sweeper"]["status"], body["sweeper"]["last_run_at"]) == ("stale", None)


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0")
def test_readyz_reports_redis_down_when_the_broker_does_not_answer(client):
    body = client.get("/readyz").json()

    assert (body["redis"], body["worker"], body["status"]) == ("down", "down", "unavailable")


def test_readyz_reports_deliveries_waiting_for_more_than_five_minutes(client):
    sweeper_heartbeat_record(duration_ms=1, processed=0)
    Notification.objects.create(
        alert_key="case_red:1", target_key="t", kind="case_red", status="retrying",
        created_at=timezone.now() - timedelta(minutes=6),
    )  # fmt: skip

    with mock.patch("escalation.views._ping_workers", return_value=True):
        body = client.get("/readyz").json()

    assert body["problems"] == ["outbox"]
    assert body["outbox"]["waiting"] == 1 and body["outbox"]["oldest_seconds"] >= 360


def test_readyz_reports_cases_whose_hand_offs_are_overdue(
    client, handler, intake, django_capture_on_commit_callbacks
):
    from cases import services as case_services

    sweeper_heartbeat_record(duration_ms=1, processed=0)
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        with django_capture_on_commit_callbacks(execute=False):
            case_services.case_create(intake=intake(), actor=handler)

    with mock.patch("escalation.views._ping_workers", return_value=True):
        body = client.get("/readyz").json()

    assert body["problems"] == ["handoffs"]
    assert body["handoffs"]["cases"] == 1


def test_health_answers_head_requests_with_the_same_status(client):
    assert (client.head("/healthz").status_code, client.head("/healthz").content) == (200, b"")
    assert client.head("/readyz").status_code == 503


def test_readyz_remembers_the_worker_ping_for_a_few_seconds(client, monkeypatch):
    from celery.app.control import Control

    pings = []
    monkeypatch.setattr(Control, "ping", lambda self, **kwargs: pings.append(kwargs) or [])
    start = timezone.now()

    with time_machine.travel(start, tick=False) as traveller:
        client.get("/readyz")
        client.get("/readyz")
        traveller.shift(timedelta(seconds=10))
        client.get("/readyz")

    assert len(pings) == 2


def test_readyz_reports_a_heartbeat_from_the_future_as_stale(client):
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        sweeper_heartbeat_record(duration_ms=1, processed=0)

    body = client.get("/readyz").json()

    assert body["sweeper"]["status"] == "stale"


def test_supervisors_see_the_deep_status_in_the_admin(client, supervisor):
    client.force_login(supervisor)

    response = client.get(reverse("system-status"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Celery" in content and "✘" in content
    assert reverse("system-status") in client.get(reverse("admin:index")).content.decode()


def test_handlers_may_not_see_the_system_status(client, handler):
    client.force_login(handler)

    assert client.get(reverse("system-status")).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(reverse("system-status"))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
