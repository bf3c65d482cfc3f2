"""Periodic retraining of the learned layer (scheduled in CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from triage import learned
from triage.models import TriageModel
from triage.services import triage_model_activate, triage_model_train

logger = logging.getLogger(__name__)


@shared_task(name="triage.tasks.triage_retrain", ignore_result=True)
def triage_retrain() -> int | None:
    """Retrain on what handlers settled since; keep the active model when a person chose it or
    when nothing new was learned from (no new row, no model churn). Returns the active model."""
    active = TriageModel.objects.filter(is_active=True).order_by("-created_at", "-id").first()
    if active is not None and active.pinned:
        logger.info("triage retrain skipped: model v%s was chosen by a person", active.pk)
        return active.pk
    try:
        row = triage_model_train(activate=False)
    except learned.NotEnoughData as exc:
        # Nothing settled yet (fresh install): triage keeps running on rules alone.
        logger.info("triage retrain skipped, not enough labelled rows: %s", exc)
        return None
    if active is not None and row.corpus_digest == active.corpus_digest:
        row.delete()
        return active.pk
    triage_model_activate(model_id=row.pk)
    return row.pk
