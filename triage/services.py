"""Writes for triage: rule versioning, recorded runs, training a model.

Training rows come from two places: the optional seed CSV shipped with the project
(`TRIAGE_SEED_CSV`) and the *training sources* other apps register with
`register_training_source(func)`, where `func()` returns plain `(text, level)` rows — the levels
handlers settled on. Triage never reads cases itself.
"""

from __future__ import annotations

import csv
import dataclasses
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

from triage import learned
from triage.engine import LEVELS, TriageResult
from triage.models import RuleSet, RuleSetSnapshot, TriageModel, TriageRun
from triage.selectors import RULESET_PK, ruleset_get, ruleset_spec

logger = logging.getLogger(__name__)

_training_sources: list[Callable[[], Iterable[tuple[str, str]]]] = []


def register_training_source(func: Callable[[], Iterable[tuple[str, str]]]) -> Callable:
    if func not in _training_sources:
        _training_sources.append(func)
    return func


def _bumped_in_this_transaction() -> bool:
    """Whether this transaction already made a new version (its snapshot is waiting to be kept).

    Django drops the callbacks of a rolled-back transaction or savepoint, so a rolled-back edit
    does not count: the next edit bumps again.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    return any(entry[1] is ruleset_snapshot_store for entry in connection.run_on_commit)


def ruleset_bump_version(**_kwargs) -> None:
    """Any change to the rules: one new version per transaction, its snapshot after commit.

    Connected to post_save/post_delete of RuleSet, Signal and Pattern (see `TriageConfig.ready`),
    so saving a signal with ten patterns in the admin makes one version, not eleven. Every edit
    still touches `updated_at`, which the compiled-rules cache also keys on.
    `update()` sends no signal, so bumping does not bump again.
    """
    if _kwargs.get("raw"):  # loaddata: rows arrive in any order, the fixture has its version
        return
    rows = RuleSet.objects.filter(pk=RULESET_PK)
    if _bumped_in_this_transaction():
        rows.update(updated_at=timezone.now())
        return
    if rows.update(version=F("version") + 1, updated_at=timezone.now()):
        transaction.on_commit(ruleset_snapshot_store)


def ruleset_snapshot_store() -> RuleSetSnapshot:
    """Keep the current rules under their version number (idempotent)."""
    ruleset = ruleset_get()
    spec = ruleset_spec(ruleset=ruleset)
    snapshot, _ = RuleSetSnapshot.objects.get_or_create(
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
    """The shipped seed training set; `TRIAGE_SEED_CSV` in settings may point elsewhere."""
    return Path(
        getattr(settings, "TRIAGE_SEED_CSV", settings.BASE_DIR / "data" / "triage_train_seed.csv")
    )


def read_labelled_csv(path: Path | str) -> list[dict]:
    """Rows of a CSV with `text` and `level` (optional `channel`, `category`); bad rows raise."""
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "level"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(
                _("%(path)s: missing column(s) %(columns)s")
                % {"path": path, "columns": ", ".join(sorted(missing))}
            )
        for line, row in enumerate(reader, start=2):
            level = (row.get("level") or "").strip().lower()
            text = (row.get("text") or "").strip()
            if level not in LEVELS or not text:
                raise ValueError(
                    _("%(path)s, line %(line)d: needs a text and a level (%(levels)s).")
                    % {"path": path, "line": line, "levels": ", ".join(LEVELS)}
                )
            rows.append(
                {
                    "text": text,
                    "level": level,
                    "channel": (row.get("channel") or "").strip(),
                    "category": (row.get("category") or "").strip(),
                }
            )
    return rows


def triage_model_train(
    *,
    seed_path: Path | str | None = None,
    use_seed: bool = True,
    activate: bool = True,
    now: datetime | None = None,
) -> TriageModel:
    """Train on the seed CSV plus every registered source; the new model becomes the active one.

    Raises `learned.NotEnoughData` when there is too little to learn from (nothing is written).
    """
    now = now or timezone.now()
    seed_rows: list[tuple[str, str]] = []
    if use_seed:
        path = Path(seed_path or seed_csv_path())
        if path.exists():
            seed_rows = [(r["text"], r["level"]) for r in read_labelled_csv(path)]
        elif seed_path:
            raise FileNotFoundError(path)
    case_rows = [row for source in _training_sources for row in source()]
    rows = seed_rows + case_rows
    model = learned.train(rows)
    counts = Counter(level for _, level in rows if level in LEVELS)
    with transaction.atomic():
        row = TriageModel.objects.create(
            created_at=now,
            is_active=activate,
            seed_rows=len(seed_rows),
            case_rows=len(case_rows),
            label_counts=dict(counts),
            blob=learned.dumps(model),
        )
        if activate:
            TriageModel.objects.exclude(pk=row.pk).filter(is_active=True).update(is_active=False)
    logger.info("triage model v%s trained on %s rows %s", row.pk, len(rows), dict(counts))
    return row


def triage_model_activate(*, model_id: int) -> TriageModel | None:
    """Make this trained model the one triage uses (all others inactive); None when it is gone."""
    with transaction.atomic():
        row = TriageModel.objects.select_for_update().filter(pk=model_id).first()
        if row is None:
            return None
        TriageModel.objects.exclude(pk=row.pk).filter(is_active=True).update(is_active=False)
        if not row.is_active:
            row.is_active = True
            row.save(update_fields=["is_active"])
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
