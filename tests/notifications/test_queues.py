"""Time-critical work never waits behind bulk work: the SLA sweep and the hand-off reconcile have
their own queue, first sends theirs, and retries of failing sends go to the bulk queue."""

from unittest import mock

import pytest

from config.celery_app import app
from notifications.tasks import notification_deliver_task


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("escalation.tasks.sla_sweep", "deadlines"),
        ("escalation.tasks.sla_clock_check", "deadlines"),
        ("escalation.tasks.handoff_reconcile", "deadlines"),
        ("notifications.deliver", "alerts"),
        ("notifications.requeue_due", "bulk"),
        ("triage.tasks.triage_retrain", "bulk"),
        ("escalation.triage_flow.case_triage_task", "celery"),
    ],
)
def test_each_task_goes_to_its_queue(task, queue):
    assert queue_of(task) == queue


def test_a_failing_send_is_retried_on_the_bulk_queue():
    outcome = mock.Mock(retry_in=30)
    retries = []

    def retry(**options):
        retries.append(options)
        raise RuntimeError("retry")

    with (
        mock.patch("notifications.services.notification_deliver", return_value=outcome),
        mock.patch.object(notification_deliver_task, "retry", side_effect=retry),
    ):
        with pytest.raises(RuntimeError):
            notification_deliver_task(1)

    assert retries == [{"countdown": 30, "queue": "bulk"}]


def test_the_local_layout_gives_deadlines_a_worker_of_their_own(settings):
    procfile = (settings.BASE_DIR / "Procfile").read_text()

    assert "--queues=deadlines " in procfile
    assert "--queues=alerts " in procfile
    assert "--queues=celery,bulk " in procfile


def test_with_the_broker_down_queueing_gives_up_after_the_first_failure(caplog):
    from notifications.services.dispatch import enqueue_delivery

    with mock.patch.object(
        notification_deliver_task, "delay", side_effect=ConnectionError("redis down")
    ) as delay:
        enqueue_delivery([1, 2, 3])

    assert delay.call_count == 1
    assert "3 notification(s) left for the requeue sweep" in caplog.text


def test_publishing_from_a_request_gives_up_fast_when_redis_is_down(settings):
    assert settings.CELERY_TASK_PUBLISH_RETRY_POLICY["max_retries"] <= 1
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] <= 1
