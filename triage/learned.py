"""The learned layer: character n-gram TF-IDF + logistic regression over the normalised text.

Contract: `train(rows)` takes plain `(text, level)` pairs and returns a `LearnedModel`;
`LearnedModel.opinion(normalized_text)` returns a `ModelOpinion` (probabilities per level and the
n-grams that pushed towards the winning level). No database access here: the service stores the
serialised model (`dumps`/`loads`) and decides which one is active.

Character n-grams need no word segmentation, survive typos and work for Chinese and English alike.
"""

from __future__ import annotations

import io
import pickle  # noqa: S403  (models are written by our own training service into our own DB)
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from triage.engine import LEVELS, ModelOpinion
from triage.normalize import CLAUSE_MARK, NormalizedText, normalize

# Characters 1-3: no word segmentation needed; typos and dodges still share n-grams.
NGRAM = (1, 3)
MIN_ROWS = 20
MIN_PER_LEVEL = 3


class NotEnoughData(ValueError):
    pass


def model_text(norm: NormalizedText) -> str:
    return norm.compact.replace(CLAUSE_MARK, " ")


@dataclass
class LearnedModel:
    pipeline: object  # sklearn Pipeline(tfidf, logreg)
    version: int | None = None
    # How it combines with the rules (`raise_at`, `lower_at`), tuned when it was trained.
    params: dict = field(default_factory=dict)

    @cached_property
    def feature_names(self):
        """The n-gram of each feature column; building it costs milliseconds, so once per model."""
        return self.pipeline.named_steps["tfidf"].get_feature_names_out()

    def opinion(self, norm: NormalizedText) -> ModelOpinion:
        text = model_text(norm)
        vectorizer = self.pipeline.named_steps["tfidf"]
        classifier = self.pipeline.named_steps["clf"]
        features = vectorizer.transform([text])
        probabilities = classifier.predict_proba(features)[0]
        classes = list(classifier.classes_)
        best = int(probabilities.argmax())
        evidence: tuple[str, ...] = ()
        if features.nnz:
            # Contribution of each n-gram present to the winning class: tf-idf value x weight.
            row = classifier.coef_[best] if len(classes) > 2 else classifier.coef_[0]
            sign = -1 if len(classes) == 2 and best == 0 else 1
            contributions = features.data * row[features.indices] * sign
            names = self.feature_names
            # Single characters explain nothing to a handler: quote n-grams of two or more.
            ranked = [
                names[features.indices[i]].strip()
                for i in contributions.argsort()[::-1]
                if contributions[i] > 0
            ]
            evidence = tuple([g for g in ranked if len(g) >= 2][:3])
        return ModelOpinion(
            probabilities={str(c): float(p) for c, p in zip(classes, probabilities, strict=True)},
            evidence=evidence,
            version=self.version,
            raise_at=self.params.get("raise_at"),
            lower_at=self.params.get("lower_at"),
        )

    def probabilities(self, texts: list[str]) -> list[dict[str, float]]:
        """Probabilities per level for many raw texts at once (training and evaluation)."""
        classes = [str(c) for c in self.pipeline.named_steps["clf"].classes_]
        matrix = self.pipeline.predict_proba([model_text(normalize(t)) for t in texts])
        return [dict(zip(classes, map(float, row), strict=True)) for row in matrix]

    def __call__(self, norm: NormalizedText) -> ModelOpinion:
        return self.opinion(norm)


def train(rows: list[tuple[str, str]], *, seed: int = 0) -> LearnedModel:
    """Fit on `(text, level)` rows. Raises NotEnoughData when a fit would be meaningless."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    clean = [(model_text(normalize(t)), lv) for t, lv in rows if t and t.strip() and lv in LEVELS]
    counts = Counter(lv for _, lv in clean)
    if len(clean) < MIN_ROWS or len(counts) < 2 or min(counts.values()) < MIN_PER_LEVEL:
        raise NotEnoughData(dict(counts))
    pipeline = Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=NGRAM,
                    min_df=2,
                    sublinear_tf=True,
                    dtype=np.float64,
                ),
            ),
            (
                "clf",
                LogisticRegression(
                    C=4.0, max_iter=2000, class_weight="balanced", random_state=seed
                ),
            ),
        ]
    )
    pipeline.fit([t for t, _ in clean], [lv for _, lv in clean])
    return LearnedModel(pipeline=pipeline)


def out_of_fold(
    rows: list[tuple[str, str]],
    *,
    groups: list[str] | None = None,
    folds: int = 5,
    seed: int = 0,
) -> list[dict[str, float]]:
    """Each row's probabilities from a model that did not see it: what the combination is tuned
    on, so that tuning never rewards a model for remembering its own rows.

    With `groups` (who wrote each row) and enough of them, whole groups are held out together:
    the model is then judged on writers it never read, as it will be on customers.
    """
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    labels = [lv for _, lv in rows]
    if groups is not None and len(set(groups)) >= folds:
        splits = GroupKFold(n_splits=folds).split(labels, labels, groups)
    else:
        splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(
            labels, labels
        )
    result: list[dict[str, float]] = [{} for _ in rows]
    for train_index, test_index in splits:
        model = train([rows[i] for i in train_index], seed=seed)
        for i, probabilities in zip(
            test_index, model.probabilities([rows[i][0] for i in test_index]), strict=True
        ):
            result[i] = {lv: probabilities.get(lv, 0.0) for lv in LEVELS}
    return result


def dumps(model: LearnedModel) -> bytes:
    buffer = io.BytesIO()
    pickle.dump(model.pipeline, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return buffer.getvalue()


def loads(blob: bytes, *, version: int | None = None) -> LearnedModel:
    return LearnedModel(pipeline=pickle.loads(blob), version=version)  # noqa: S301
