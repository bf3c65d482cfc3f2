"""Celery tasks: take ids, re-fetch, call one service, own the retry policy."""

import logging

from celery import shared_task
from django.conf import settings

from notifications import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="notifications.deliver",
    acks_late=True,
    # attempts are counted on the row, not by Celery: a redelivered message must not use them up
    max_retries=None,
    ignore_result=True,
)
def notification_deliver_task(self, notification_id: int) -> None:
    outcome = services.notification_deliver(notification_id=notification_id)
    if outcome.retry_in is not None:
        # short countdowns only (<= NOTIFICATIONS_RETRY_BACKOFF_MAX, well under the broker's
        # visibility timeout); the row stays due in the database if this message is lost.
        # Retries go to the bulk queue: a failing target must not hold up first sends.
        raise self.retry(countdown=outcome.retry_in, queue=settings.QUEUE_BULK)


@shared_task(name="notifications.requeue_due", ignore_result=True)
def notification_requeue_due_task() -> int:
    count = services.notification_requeue_due()
    if count:
        logger.info("requeued %s notifications", count)
    return count
