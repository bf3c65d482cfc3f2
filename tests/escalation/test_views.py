"""`GET /healthz`: up/down of the database, Redis, a worker and the sweeper's freshness.

The all-green answer needs a real worker and is asserted in test_integration.py.
"""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from escalation.services import sweeper_heartbeat_record

pytestmark = pytest.mark.django_db


def test_healthz_answers_503_when_no_worker_answers(client):
    sweeper_heartbeat_record(duration_ms=1, processed=0)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["redis"], body["worker"]) == ("ok", "ok", "down")
    assert body["sweeper"]["status"] == "ok"


def test_healthz_reports_a_sweeper_silent_for_more_than_two_minutes_as_stale(client):
    with time_machine.travel(timezone.now() - timedelta(minutes=2, seconds=5)):
        sweeper_heartbeat_record(duration_ms=1, processed=0)

    body = client.get("/healthz").json()

    assert body["sweeper"]["status"] == "stale"
    assert body["sweeper"]["seconds_ago"] >= 125


def test_healthz_reports_a_sweeper_that_never_ran_as_stale(client):
    response = client.get("/healthz")

    assert (response.status_code, response.json()["sweeper"]["last_run_at"]) == (503, None)


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0")
def test_healthz_reports_redis_down_when_the_broker_does_not_answer(client):
    body = client.get("/healthz").json()

    assert (body["redis"], body["worker"], body["status"]) == ("down", "down", "unavailable")


def test_healthz_answers_head_requests_with_the_same_status(client):
    sweeper_heartbeat_record(duration_ms=1, processed=0)

    response = client.head("/healthz")

    assert (response.status_code, response.content) == (503, b"")


def test_healthz_remembers_the_worker_ping_for_a_few_seconds(client, monkeypatch):
    from celery.app.control import Control

    pings = []
    monkeypatch.setattr(Control, "ping", lambda self, **kwargs: pings.append(kwargs) or [])
    start = timezone.now()

    with time_machine.travel(start, tick=False) as traveller:
        client.get("/healthz")
        client.get("/healthz")
        traveller.shift(timedelta(seconds=10))
        client.get("/healthz")

    assert len(pings) == 2


def test_healthz_reports_a_heartbeat_from_the_future_as_stale(client):
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        sweeper_heartbeat_record(duration_ms=1, processed=0)

    body = client.get("/healthz").json()

    assert body["sweeper"]["status"] == "stale"
