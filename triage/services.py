"""Writes for triage: rule versioning, recorded runs, training a model.

Training rows come from two places: the optional seed CSV shipped with the project
(`TRIAGE_SEED_CSV`) and the *training sources* other apps register with
`register_training_source(func)`, where `func()` returns plain `(text, level)` rows — the levels
handlers settled on. Triage never reads cases itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from triage import corpus, learned, rulefiles, tuning
from triage.engine import LEVELS, TriageResult, decided_by_fact
from triage.models import (
    Pattern,
    RuleSet,
    RuleSetSnapshot,
    Signal,
    TriageFeedback,
    TriageModel,
    TriageRun,
)
from triage.selectors import RULESET_PK, ruleset_get, ruleset_spec

logger = logging.getLogger(__name__)

# The combination is tuned only when there is enough to tune on (k-fold needs k rows per level).
TUNE_MIN_ROWS = 200
TUNE_FOLDS = 5

_training_sources: list[Callable[[], Iterable[tuple[str, str]]]] = []


def register_training_source(func: Callable[[], Iterable[tuple[str, str]]]) -> Callable:
    if func not in _training_sources:
        _training_sources.append(func)
    return func


def ruleset_bump_version(**_kwargs) -> None:
    """Any change to the rules: one new version per transaction, its snapshot after commit.

    Connected to post_save/post_delete of RuleSet, Signal and Pattern (see `TriageConfig.ready`),
    so saving a signal with ten patterns in the admin makes one version, not eleven. A version
    without its snapshot is one this transaction made and has not committed yet: the next edit in
    the same transaction only touches `updated_at` (which the compiled-rules cache also keys on).
    A rolled-back edit rolls the number back too, so the next edit bumps again.
    `update()` sends no signal, so bumping does not bump again.
    """
    if _kwargs.get("raw"):  # loaddata: rows arrive in any order, the fixture has its version
        return
    rows = RuleSet.objects.filter(pk=RULESET_PK)
    current = rows.values_list("version", flat=True).first()
    if current is None:
        return
    if current and not RuleSetSnapshot.objects.filter(version=current).exists():
        rows.update(updated_at=timezone.now())
        return
    if rows.update(version=F("version") + 1, updated_at=timezone.now()):
        transaction.on_commit(ruleset_snapshot_store)


def ruleset_snapshot_store() -> RuleSetSnapshot:
    """Keep the current rules under their version number (idempotent)."""
    ruleset = ruleset_get()
    spec = ruleset_spec(ruleset=ruleset)
    snapshot, _created = RuleSetSnapshot.objects.get_or_create(
        version=ruleset.version, defaults={"rules": dataclasses.asdict(spec)}
    )
    return snapshot


def triage_run_record(
    *,
    case_id: int,
    trigger: str,
    result: TriageResult,
    outcome: str,
    duration_ms: float,
    case_number: str = "",
    now: datetime | None = None,
) -> TriageRun:
    return TriageRun.objects.create(
        case_id=case_id,
        case_number=case_number,
        trigger=trigger,
        ruleset_version=result.ruleset_version or 0,
        model_version=result.model_version,
        level=result.level,
        rule_level=result.rule_level,
        model_level=result.model_level,
        model_probability=result.model_probability,
        score=result.score,
        reasons=result.reasons,
        suggested_category=result.suggested_category,
        outcome=outcome,
        duration_ms=round(duration_ms, 3),
        created_at=now or timezone.now(),
    )


def seed_csv_path() -> Path:
    """The older seed training set; `TRIAGE_SEED_CSV` in settings may point elsewhere."""
    return Path(
        getattr(settings, "TRIAGE_SEED_CSV", settings.BASE_DIR / "data" / "triage_train_seed.csv")
    )


def corpus_dir() -> Path:
    """The labelled corpus with its train and blind splits (`TRIAGE_CORPUS_DIR`)."""
    return Path(
        getattr(settings, "TRIAGE_CORPUS_DIR", settings.BASE_DIR / "data" / "triage_corpus")
    )


def read_labelled_csv(path: Path | str) -> list[dict]:
    """Rows of a labelled file or directory (CSV or JSON Lines, see `triage.corpus`)."""
    return corpus.read_rows(path)


def shipped_training_rows() -> list[dict]:
    """The corpus's train split (never its blind split) and the older seed set."""
    rows = corpus.split_rows(corpus_dir(), corpus.TRAIN)
    if seed_csv_path().exists():
        rows += corpus.read_rows(seed_csv_path())
    return corpus.without_blind(rows, corpus_dir())


def _tuning_rows(rows: list[dict], probabilities: list[dict]) -> list[dict]:
    from triage.selectors import triage_text

    tuning = []
    for row, probs in zip(rows, probabilities, strict=True):
        result = triage_text(
            text=row["text"], channel=row.get("channel", ""), use_model=False, channel_label=""
        )
        tuning.append(
            {
                "gold": row["level"],
                "rule_level": result.level,
                "firm": decided_by_fact(result.reasons),
                "probabilities": probs,
            }
        )
    return tuning


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def triage_model_train(
    *,
    seed_path: Path | str | None = None,
    use_seed: bool = True,
    tune: bool = True,
    activate: bool = True,
    now: datetime | None = None,
) -> TriageModel:
    """Train on the shipped training rows (or `seed_path`) plus every registered source, tune
    how it combines with the rules on out-of-fold probabilities of the same rows, and store it
    (the new model becomes the active one).

    Deterministic: the same rows give the same model (`artifact_digest`) and the same
    combination. Raises `learned.NotEnoughData` when there is too little to learn from.
    """
    now = now or timezone.now()
    seed_rows: list[dict] = []
    if seed_path:
        path = Path(seed_path)
        if not path.exists():
            raise FileNotFoundError(path)
        blind_dir = (corpus_dir() / corpus.BLIND).resolve()
        if path.resolve() == blind_dir or blind_dir in path.resolve().parents:
            raise ValueError(_("The blind split only reports; it is never trained on."))
        seed_rows = corpus.read_rows(path)
    elif use_seed:
        seed_rows = shipped_training_rows()
    case_rows = [
        {"text": text, "level": level, "channel": "", "source": "cases"}
        for source in _training_sources
        for text, level in source()
    ]
    # Whatever the source, nothing the blind split holds is learned from.
    seed_rows = corpus.without_blind(seed_rows, corpus_dir())
    case_rows = corpus.without_blind(case_rows, corpus_dir())
    rows = [r for r in seed_rows + case_rows if r["text"].strip() and r["level"] in LEVELS]
    pairs = [(r["text"], r["level"]) for r in rows]
    model = learned.train(pairs)
    counts = Counter(level for _, level in pairs)
    params: dict = {}
    metrics: dict = {}
    if tune and len(rows) >= TUNE_MIN_ROWS and min(counts.values()) >= TUNE_FOLDS:
        groups = [r.get("source") or "" for r in rows]
        try:
            oof = learned.out_of_fold(pairs, groups=groups, folds=TUNE_FOLDS)
        except learned.NotEnoughData:
            # A fold without enough of some level: keep the model, untuned (it then only raises,
            # at the rule set's confidence), rather than no model at all.
            logger.warning("triage model: too few rows per fold to tune the combination")
        else:
            best = tuning.tune(_tuning_rows(rows, oof))
            params = {"raise_at": best["raise_at"], "lower_at": best["lower_at"]}
            metrics = {"out_of_fold_combined": best["report"]}
    model.params = params
    blob = learned.dumps(model)
    corpus_digest = _digest(json.dumps(sorted(pairs), ensure_ascii=False).encode())
    row = TriageModel.objects.create(
        created_at=now,
        is_active=False,
        seed_rows=len(seed_rows),
        case_rows=len(case_rows),
        label_counts=dict(counts),
        params=params,
        metrics=metrics,
        corpus_digest=corpus_digest,
        artifact_digest=_digest(blob),
        blob=blob,
    )
    if activate:
        triage_model_activate(model_id=row.pk)
        row.refresh_from_db()
    logger.info(
        "triage model v%s trained on %s rows %s, combination %s",
        row.pk,
        len(rows),
        dict(counts),
        params,
    )
    return row


def triage_model_activate(*, model_id: int, pinned: bool = False) -> TriageModel | None:
    """Make this trained model the one triage uses (all others inactive); None when it is gone.

    `pinned`: a person chose it, so the scheduled retrain will not replace it.
    """
    with transaction.atomic():
        # Every model row locked: two activations at once cannot leave two active models.
        rows = list(
            TriageModel.objects.select_for_update().order_by("pk").values_list("pk", flat=True)
        )
        if model_id not in rows:
            return None
        TriageModel.objects.exclude(pk=model_id).filter(is_active=True).update(
            is_active=False, pinned=False
        )
        TriageModel.objects.filter(pk=model_id).update(is_active=True, pinned=pinned)
        row = TriageModel.objects.get(pk=model_id)
    logger.info("triage model v%s activated", row.pk)
    return row


def triage_model_deleted(*, instance: TriageModel, **_kwargs) -> None:
    """Deleting the active model brings back the newest remaining one (post_delete receiver).

    Deleting a bad model is how a superuser rolls back a retrain; without this, triage would
    quietly run on rules alone until the next retrain.
    """
    if not instance.is_active or TriageModel.objects.filter(is_active=True).exists():
        return
    newest = TriageModel.objects.order_by("-created_at", "-id").values_list("pk", flat=True).first()
    if newest is not None:
        triage_model_activate(model_id=newest)


# -- the shipped rules as data files ---------------------------------------------------------------


def rules_dir() -> Path:
    """The shipped rule files; `TRIAGE_RULES_DIR` in settings may point elsewhere."""
    return Path(getattr(settings, "TRIAGE_RULES_DIR", settings.BASE_DIR / "triage" / "rules"))


def rules_read(directory: Path | str | None = None) -> rulefiles.RulesData:
    """Parse and validate the rule files; raises `RulesFileError` (or OSError) when unusable."""
    directory = Path(directory or rules_dir())
    ruleset_text = (directory / "ruleset.yaml").read_text(encoding="utf-8")
    signal_texts = {
        f"signals/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted((directory / "signals").glob("*.yaml"))
    }
    return rulefiles.parse(ruleset_text, signal_texts)


@dataclasses.dataclass
class RulesLoadReport:
    edition: int
    changed: bool = False
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    kept_overridden: list[str] = dataclasses.field(default_factory=list)
    retired: list[str] = dataclasses.field(default_factory=list)
    version: int = 0


_SIGNAL_COLUMNS = (
    "name", "description", "source", "min_level", "weight", "negatable", "context_window",
    "threshold", "category", "order", "is_active",
)  # fmt: skip


def _signal_columns(data: dict) -> dict:
    columns = {key: data[key] for key in _SIGNAL_COLUMNS}
    columns["exclude_context"] = "\n".join(data["exclude_context"])
    columns["only_with"] = ", ".join(data["only_with"])
    columns["context_exempt"] = ", ".join(data["context_exempt"])
    return columns


def triage_rules_load(
    *, directory: Path | str | None = None, force: bool = False
) -> RulesLoadReport:
    """Bring the database's rules to the shipped files, idempotently.

    The same content as last time changes nothing (the digest is compared first). A signal a
    person edited in the admin (`overridden`) is left as it is, and so are signals and patterns
    added in the admin; shipped signals no longer in the files are switched off, not deleted (old
    runs still name them). Everything happens in one transaction and makes one new version.
    """
    data = rules_read(directory)
    report = RulesLoadReport(edition=data.edition)
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().filter(pk=RULESET_PK).first()
        if ruleset is not None and ruleset.rules_digest == data.digest and not force:
            report.version = ruleset.version
            return report
        if ruleset is None:
            # A new database: version 1 is this load; its snapshot follows the commit.
            ruleset = RuleSet(pk=RULESET_PK, version=1)
            transaction.on_commit(ruleset_snapshot_store)
        if not ruleset.overridden:
            for key, value in data.ruleset.items():
                if key in ("negation_cues", "retraction_cues"):
                    value = "\n".join(value)
                setattr(ruleset, key, value)
        ruleset.rules_edition = data.edition
        ruleset.rules_digest = data.digest
        ruleset.save()
        existing = {s.code: s for s in Signal.objects.all()}
        for signal_data in data.signals:
            code = signal_data["code"]
            signal = existing.get(code)
            if signal is not None and signal.overridden:
                report.kept_overridden.append(code)
                continue
            columns = _signal_columns(signal_data)
            if signal is None:
                signal = Signal.objects.create(code=code, shipped=True, **columns)
                report.created.append(code)
            else:
                changed = any(getattr(signal, k) != v for k, v in columns.items())
                for key, value in columns.items():
                    setattr(signal, key, value)
                signal.shipped = True
                signal.save()
                if changed:
                    report.updated.append(code)
            if _patterns_sync(signal, signal_data["patterns"]) and code not in report.created:
                if code not in report.updated:
                    report.updated.append(code)
        codes = {s["code"] for s in data.signals}
        for code, signal in existing.items():
            if code not in codes and signal.shipped and not signal.overridden and signal.is_active:
                signal.is_active = False
                signal.save(update_fields=["is_active", "updated_at"])
                report.retired.append(code)
        ruleset_bump_version()
        report.changed = True
        report.version = RuleSet.objects.values_list("version", flat=True).get(pk=RULESET_PK)
    logger.info(
        "triage rules edition %s loaded as version %s: %s created, %s updated, %s kept",
        data.edition,
        report.version,
        len(report.created),
        len(report.updated),
        len(report.kept_overridden),
    )
    return report


def _patterns_sync(signal: Signal, patterns: list[tuple[str, str, str]]) -> bool:
    """The shipped patterns of one signal as the files list them; admin-added ones stay."""
    wanted = {(text, kind, language) for text, kind, language in patterns}
    rows = list(signal.patterns.all())
    have = {(p.text, p.kind, p.language): p for p in rows}
    stale = [p.pk for key, p in have.items() if p.shipped and key not in wanted]
    missing = [key for key in patterns if key not in have]
    # An admin-added pattern that the files now ship becomes a shipped one.
    adopted = [p.pk for key, p in have.items() if key in wanted and not (p.shipped and p.is_active)]
    if stale:
        Pattern.objects.filter(pk__in=stale).delete()
    if adopted:
        Pattern.objects.filter(pk__in=adopted).update(shipped=True, is_active=True)
    Pattern.objects.bulk_create(
        [
            Pattern(signal=signal, text=t, kind=k, language=lang, shipped=True)
            for t, k, lang in missing
        ]
    )
    return bool(stale or missing or adopted)


def triage_rules_export(*, directory: Path | str) -> list[Path]:
    """Write the database's rules (admin edits included) as rule files, for review as a diff."""
    directory = Path(directory)
    (directory / "signals").mkdir(parents=True, exist_ok=True)
    ruleset = ruleset_get()
    fields = {
        "name": ruleset.name,
        "negation_cues": [c for c in ruleset.negation_cues.splitlines() if c.strip()],
        "retraction_cues": [c for c in ruleset.retraction_cues.splitlines() if c.strip()],
        "negation_window": ruleset.negation_window,
        "context_cues": dict(ruleset.context_cues or {}),
        "yellow_score": ruleset.yellow_score,
        "red_score": ruleset.red_score,
        "model_min_probability": ruleset.model_min_probability,
        "repeat_window_days": ruleset.repeat_window_days,
    }
    written = [directory / "ruleset.yaml"]
    written[0].write_text(
        rulefiles.dump_ruleset(edition=max(ruleset.rules_edition, 1), fields=fields),
        encoding="utf-8",
    )
    for signal in Signal.objects.prefetch_related("patterns").order_by("order", "code"):
        columns = {key: getattr(signal, key) for key in ("code", *_SIGNAL_COLUMNS)}
        columns["threshold"] = float(signal.threshold) if signal.threshold is not None else None
        columns["exclude_context"] = [
            t.strip() for t in signal.exclude_context.splitlines() if t.strip()
        ]
        columns["only_with"] = [c.strip() for c in signal.only_with.split(",") if c.strip()]
        columns["context_exempt"] = [
            c.strip() for c in signal.context_exempt.split(",") if c.strip()
        ]
        patterns = [
            (p.text, p.kind, p.language)
            for p in sorted(signal.patterns.all(), key=lambda p: p.pk)
            if p.is_active
        ]
        path = directory / "signals" / f"{signal.code}.yaml"
        path.write_text(rulefiles.dump_signal(fields=columns, patterns=patterns), encoding="utf-8")
        written.append(path)
    return written


def triage_rules_override_clear(*, signal_ids: Iterable[int]) -> int:
    """Forget the admin edits of these signals; the next load brings back the shipped rules."""
    return Signal.objects.filter(pk__in=list(signal_ids), overridden=True).update(overridden=False)


# -- feedback: a handler's risk change kept as a labelled example -----------------------------------


def triage_feedback_record(
    *,
    case_id: int,
    case_number: str,
    text: str,
    old_level: str,
    new_level: str,
    reason: str = "",
    actor: str = "",
    channel: str = "",
    category: str = "",
    now: datetime | None = None,
) -> TriageFeedback | None:
    """Keep a person's change of a case's level as a labelled example (nothing for no text)."""
    if not text.strip() or new_level not in LEVELS or old_level not in LEVELS:
        return None
    return TriageFeedback.objects.create(
        case_id=case_id,
        case_number=case_number,
        text=text,
        text_hash=corpus.text_hash(text),
        old_level=old_level,
        new_level=new_level,
        reason=reason,
        actor=actor,
        channel=channel,
        category=category,
        created_at=now or timezone.now(),
    )


def triage_feedback_rows() -> list[dict]:
    """The feedback as corpus rows for the next training: the newest decision per text wins, and
    no text of the blind split is ever given back (it only reports)."""
    blind = corpus.blind_hashes(corpus_dir())
    rows: dict[str, dict] = {}
    for item in TriageFeedback.objects.order_by("created_at", "id").iterator():
        if corpus.mentions_blind(item.text, blind):
            continue
        rows[item.text_hash] = {
            "id": f"feedback-{item.pk}",
            "text": item.text,
            "level": item.new_level,
            "intake_channel": item.channel,
            "category": item.category,
            "family": "",
            "register": "",
            "why": item.reason,
            "source": f"feedback:{item.case_number or item.case_id}:{item.actor}",
            "previous_level": item.old_level,
            "changed_at": item.created_at.isoformat(),
        }
    return list(rows.values())
