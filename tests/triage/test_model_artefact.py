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


def test_the_artefact_predicts_exactly_what_scikit_learn_fitted():
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from triage import learned
    from triage.services import read_labelled_csv

    rows = [(r["text"], r["level"]) for r in read_labelled_csv(ROWS)]
    texts = [learned.model_text(learned.normalize(t)) for t, _ in rows]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=learned.NGRAM, min_df=2,
                                 sublinear_tf=True)  # fmt: skip
    features = vectorizer.fit_transform(texts)
    reference = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced", random_state=0)
    reference.fit(features, [lv for _, lv in rows])

    model = learned.loads(learned.dumps(learned.train(rows)))

    expected = reference.predict_proba(vectorizer.transform(texts[:50]))
    got = [
        [p[c] for c in reference.classes_] for p in model.probabilities([t for t, _ in rows[:50]])
    ]
    assert np.allclose(expected, got, atol=1e-9)


def test_loading_the_artefact_needs_neither_pickle_nor_scikit_learn(tmp_path):
    import subprocess
    import sys

    from triage import learned
    from triage.services import read_labelled_csv

    path = tmp_path / "model.bin"
    path.write_bytes(
        learned.dumps(learned.train([(r["text"], r["level"]) for r in read_labelled_csv(ROWS)]))
    )
    code = (
        "import sys; from triage import learned; from triage.normalize import normalize;"
        f"m = learned.loads(open({str(path)!r}, 'rb').read()); m.opinion(normalize('吃完拉肚子'));"
        "print('sklearn' in sys.modules)"
    )

    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )

    assert out.stdout.strip() == "False"
