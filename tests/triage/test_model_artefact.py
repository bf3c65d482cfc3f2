"""The trained model is a versioned artefact: rebuilt deterministically, tuned on its training
rows, and when it cannot be loaded triage falls back to the rules and says so."""

import logging

import pytest
from django.conf import settings

from triage.models import TriageModel
from triage.selectors import rules_cache_clear, triage_text
from triage.services import triage_model_train

pytestmark = pytest.mark.django_db

# 311 labelled rows: enough to tune the combination, small enough to train in a few seconds.
ROWS = settings.BASE_DIR / "data" / "triage_eval.csv"


def test_training_twice_on_the_same_rows_gives_the_same_model_and_combination():
    first = triage_model_train(seed_path=ROWS)
    second = triage_model_train(seed_path=ROWS)

    assert first.corpus_digest == second.corpus_digest
    assert first.artifact_digest == second.artifact_digest
    assert first.params == second.params
    assert set(first.params) == {"raise_at", "lower_at"}
    assert first.metrics["out_of_fold_combined"]["total"] == first.seed_rows


def test_a_corrupt_model_leaves_triage_on_the_rules_with_a_note_and_a_warning(caplog):
    row = triage_model_train(seed_path=ROWS)
    TriageModel.objects.filter(pk=row.pk).update(blob=b"not a model")
    rules_cache_clear()

    with caplog.at_level(logging.WARNING, logger="triage.selectors"):
        result = triage_text(text="孩子吃了拉肚子，去了医院")

    assert result.level == "red"
    assert result.model_level == ""
    note = result.reasons[-1]
    assert (note["code"], note["ignored"], note["context"]) == ("model", True, "unavailable")
    assert "cannot be loaded" in caplog.text


def test_the_shipped_training_rows_build_a_model_that_can_raise_and_lower():
    row = triage_model_train()

    assert row.params["raise_at"] < 1
    assert row.params["lower_at"] is not None
    assert row.seed_rows >= 1500
    assert set(row.label_counts) == {"red", "yellow", "blue"}
