"""Periodic retraining of the learned layer (scheduled in CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from triage import learned
from triage.services import triage_model_train

logger = logging.getLogger(__name__)


@shared_task(name="triage.tasks.triage_retrain", ignore_result=True)
def triage_retrain() -> int | None:
    try:
        return triage_model_train().pk
    except learned.NotEnoughData as exc:
        # Nothing settled yet (fresh install): triage keeps running on rules alone.
        logger.info("triage retrain skipped, not enough labelled rows: %s", exc)
        return None
