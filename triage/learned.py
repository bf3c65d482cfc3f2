"""The learned layer: character n-gram TF-IDF + logistic regression over the normalised text.

Contract: `train(rows)` takes plain `(text, level)` pairs and returns a `LearnedModel`;
`LearnedModel.opinion(normalized_text)` returns a `ModelOpinion` (probabilities per level and the
n-grams that pushed towards the winning level). No database access here: the service stores the
serialised model (`dumps`/`loads`) and decides which one is active.

Character n-grams need no word segmentation, survive typos and work for Chinese and English alike.
scikit-learn fits the model; the artefact keeps only what prediction needs (the n-gram table, the
idf weights, the coefficients) in a plain binary format — no pickle — so that a web process loads
it in milliseconds with NumPy alone and scikit-learn is imported only to train.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from triage.engine import LEVELS, ModelOpinion
from triage.normalize import CLAUSE_MARK, NormalizedText, normalize

# Characters 1-3: no word segmentation needed; typos and dodges still share n-grams.
NGRAM = (1, 3)
MIN_ROWS = 20
MIN_PER_LEVEL = 3
MAGIC = b"TRIAGE-MODEL-1\n"
_WHITESPACE = re.compile(r"\s\s+")


class NotEnoughData(ValueError):
    pass


class BadArtefact(ValueError):
    pass


def model_text(norm: NormalizedText) -> str:
    return norm.compact.replace(CLAUSE_MARK, " ")


@dataclass
class LearnedModel:
    """What prediction needs, as plain arrays: `vocabulary` maps an n-gram to its column."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (classes, features); one row for two classes
    intercept: np.ndarray
    classes: tuple[str, ...]
    ngram: tuple[int, int] = NGRAM
    version: int | None = None
    # How it combines with the rules (`raise_at`, `lower_at`), tuned when it was trained.
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names = [""] * len(self.vocabulary)
        for gram, column in self.vocabulary.items():
            self.names[column] = gram

    def _features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Columns and l2-normalised sublinear tf-idf values, as scikit-learn's char analyzer and
        TfidfVectorizer(sublinear_tf=True) compute them."""
        text = _WHITESPACE.sub(" ", text.lower())
        counts: Counter = Counter()
        low, high = self.ngram
        for n in range(low, high + 1):
            for i in range(len(text) - n + 1):
                column = self.vocabulary.get(text[i : i + n])
                if column is not None:
                    counts[column] += 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = np.fromiter((1 + math.log(c) for c in counts.values()), float, len(counts))
        values *= self.idf[columns]
        norm = np.sqrt((values * values).sum())
        return columns, values / norm if norm else values

    def _probabilities(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        scores = self.coef[:, columns] @ values + self.intercept
        if len(self.classes) == 2:
            p = 1 / (1 + np.exp(-scores[0]))
            return np.array([1 - p, p])
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def opinion(self, norm: NormalizedText) -> ModelOpinion:
        columns, values = self._features(model_text(norm))
        probabilities = self._probabilities(columns, values)
        best = int(probabilities.argmax())
        evidence: tuple[str, ...] = ()
        if len(columns):
            # Contribution of each n-gram present to the winning class: tf-idf value x weight.
            if len(self.classes) == 2:
                contributions = values * self.coef[0, columns] * (1 if best == 1 else -1)
            else:
                contributions = values * self.coef[best, columns]
            # Single characters explain nothing to a handler: quote n-grams of two or more.
            ranked = [
                self.names[columns[i]].strip()
                for i in contributions.argsort()[::-1]
                if contributions[i] > 0
            ]
            evidence = tuple([g for g in ranked if len(g) >= 2][:3])
        return ModelOpinion(
            probabilities={c: float(p) for c, p in zip(self.classes, probabilities, strict=True)},
            evidence=evidence,
            version=self.version,
            raise_at=self.params.get("raise_at"),
            lower_at=self.params.get("lower_at"),
        )

    def __call__(self, norm: NormalizedText) -> ModelOpinion:
        return self.opinion(norm)

    def probabilities(self, texts: list[str]) -> list[dict[str, float]]:
        """Probabilities per level for many raw texts (training and evaluation)."""
        result = []
        for text in texts:
            p = self._probabilities(*self._features(model_text(normalize(text))))
            result.append(dict(zip(self.classes, map(float, p), strict=True)))
        return result


def train(rows: list[tuple[str, str]], *, seed: int = 0) -> LearnedModel:
    """Fit on `(text, level)` rows. Raises NotEnoughData when a fit would be meaningless."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    clean = [(model_text(normalize(t)), lv) for t, lv in rows if t and t.strip() and lv in LEVELS]
    counts = Counter(lv for _, lv in clean)
    if len(clean) < MIN_ROWS or len(counts) < 2 or min(counts.values()) < MIN_PER_LEVEL:
        raise NotEnoughData(dict(counts))
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=NGRAM, min_df=2, sublinear_tf=True, dtype=np.float64
    )
    features = vectorizer.fit_transform([t for t, _ in clean])
    classifier = LogisticRegression(
        C=4.0, max_iter=2000, class_weight="balanced", random_state=seed
    )
    classifier.fit(features, [lv for _, lv in clean])
    return LearnedModel(
        vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        coef=np.asarray(classifier.coef_, dtype=np.float64),
        intercept=np.asarray(classifier.intercept_, dtype=np.float64),
        classes=tuple(str(c) for c in classifier.classes_),
    )


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
    """The artefact: a header line, then NumPy's own .npz (no pickle inside)."""
    terms = "\x00".join(model.names).encode("utf-8")
    header = {"classes": list(model.classes), "ngram": list(model.ngram)}
    buffer = io.BytesIO()
    np.savez(
        buffer,
        header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        terms=np.frombuffer(terms, dtype=np.uint8),
        idf=model.idf,
        coef=model.coef,
        intercept=model.intercept,
    )
    return MAGIC + buffer.getvalue()


def loads(blob: bytes, *, version: int | None = None) -> LearnedModel:
    """Raises BadArtefact for anything that is not a whole, consistent artefact."""
    if not blob.startswith(MAGIC):
        raise BadArtefact("not a triage model artefact")
    try:
        with np.load(io.BytesIO(blob[len(MAGIC) :]), allow_pickle=False) as data:
            header = json.loads(data["header"].tobytes().decode())
            names = data["terms"].tobytes().decode("utf-8").split("\x00")
            idf, coef, intercept = data["idf"], data["coef"], data["intercept"]
    except (ValueError, KeyError, OSError, UnicodeDecodeError) as exc:
        raise BadArtefact(str(exc)) from exc
    classes = tuple(header.get("classes", ()))
    ngram = tuple(header.get("ngram", NGRAM))
    rows_expected = 1 if len(classes) == 2 else len(classes)
    if (
        len(set(classes)) != len(classes)
        or not 2 <= len(classes) <= len(LEVELS)
        or not set(classes) <= set(LEVELS)
        or coef.ndim != 2
        or coef.shape[0] != rows_expected
        or not (len(names) == len(idf) == coef.shape[1])
        or len(intercept) != coef.shape[0]
        or len(ngram) != 2
        or not 1 <= ngram[0] <= ngram[1] <= 6
    ):
        raise BadArtefact("inconsistent artefact")
    return LearnedModel(
        vocabulary={name: i for i, name in enumerate(names)},
        idf=idf,
        coef=coef,
        intercept=intercept,
        classes=classes,
        ngram=ngram,
        version=version,
    )
