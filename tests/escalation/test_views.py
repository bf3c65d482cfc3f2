"""`GET /healthz`: up/down of the database, Redis, a worker and the sweeper's freshness.

The all-green answer needs a real worker and is asserted in test_integration.py.
"""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from escalation.services import sweeper_heartbeat_record

pytestmark = pytest.mark.django_db


def test_healthz_answers_503_when_no_worker_answers(client):
    sweeper_heartbeat_record(at=timezone.now(), duration_ms=1, processed=0)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["redis"], body["worker"]) == ("ok", "ok", "down")
    assert body["sweeper"]["status"] == "ok"


def test_healthz_reports_a_sweeper_silent_for_more_than_two_minutes_as_stale(client):
    sweeper_heartbeat_record(
        at=timezone.now() - timedelta(minutes=2, seconds=5), duration_ms=1, processed=0
    )

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
