"""Reads for triage: the current rules (compiled once per version), the active model, runs."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext

from triage import learned, vocab
from triage.engine import (
    CompiledRules,
    ModelOpinion,
    PatternSpec,
    RuleSetSpec,
    SignalSpec,
    TriageInput,
    TriageResult,
    compile_rules,
    triage,
)
from triage.models import Pattern, RuleSet, Signal, TriageModel, TriageRun
from triage.normalize import normalize

logger = logging.getLogger(__name__)

RULESET_PK = 1

_lock = threading.Lock()
_compiled: dict[str, object] = {"version": None, "rules": None}
_model: dict[str, object] = {"pk": None, "model": None}


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def ruleset_get() -> RuleSet:
    """The rule-set row; an unsaved default when the data migration has not run (fresh tests)."""
    return RuleSet.objects.filter(pk=RULESET_PK).first() or RuleSet(pk=RULESET_PK, version=0)


def ruleset_spec(*, ruleset: RuleSet | None = None) -> RuleSetSpec:
    ruleset = ruleset or ruleset_get()
    patterns: dict[int, list[PatternSpec]] = {}
    for row in Pattern.objects.filter(is_active=True).order_by("id"):
        patterns.setdefault(row.signal_id, []).append(
            PatternSpec(text=row.text, kind=row.kind, language=row.language)
        )
    signals = tuple(
        SignalSpec(
            code=s.code,
            name=s.name,
            min_level=s.min_level,
            weight=s.weight,
            source=s.source,
            patterns=tuple(patterns.get(s.pk, ())),
            negatable=s.negatable,
            exclude_context=_lines(s.exclude_context),
            context_window=s.context_window,
            threshold=float(s.threshold) if s.threshold is not None else None,
            only_with=tuple(c.strip() for c in s.only_with.split(",") if c.strip()),
            category=s.category,
            context_exempt=tuple(c.strip() for c in s.context_exempt.split(",") if c.strip()),
        )
        for s in Signal.objects.filter(is_active=True)
    )
    return RuleSetSpec(
        version=ruleset.version,
        signals=signals,
        negation_cues=_lines(ruleset.negation_cues),
        retraction_cues=_lines(ruleset.retraction_cues),
        negation_window=ruleset.negation_window,
        context_cues=dict(ruleset.context_cues or {}),
        yellow_score=ruleset.yellow_score,
        red_score=ruleset.red_score,
        model_min_probability=ruleset.model_min_probability,
        repeat_window_days=ruleset.repeat_window_days,
    )


def rules_compiled() -> CompiledRules:
    """The compiled rules of the current version: one small query when nothing changed."""
    # The change time as well as the number: a rolled-back edit (tests, a failed admin save)
    # may reuse a version number with other rules.
    key = RuleSet.objects.filter(pk=RULESET_PK).values_list("version", "updated_at").first()
    if key is not None and _compiled["version"] == key:
        return _compiled["rules"]
    with _lock:
        ruleset = ruleset_get()
        rules = compile_rules(ruleset_spec(ruleset=ruleset))
        if key is not None:
            _compiled.update(version=(ruleset.version, ruleset.updated_at), rules=rules)
        return rules


def rules_cache_clear() -> None:
    _compiled.update(version=None, rules=None)
    _model.update(pk=None, model=None)


class UnavailableModel:
    """Stands in for an active model that cannot be loaded: triage goes on with the rules and
    says so in the reasons (never a 500)."""

    def __init__(self, version: int) -> None:
        self.version = version

    def __call__(self, norm) -> ModelOpinion:
        return ModelOpinion(
            probabilities={}, evidence=(gettext("model v%(v)s") % {"v": self.version},)
        )


def model_active() -> learned.LearnedModel | UnavailableModel | None:
    """The newest active trained model, loaded once per process; None on a fresh install."""
    active = TriageModel.objects.filter(is_active=True).order_by("-created_at", "-id")
    key = active.values_list("pk", "created_at").first()
    if key is None:
        return None
    if _model["pk"] == key:
        return _model["model"]
    with _lock:
        row = TriageModel.objects.filter(pk=key[0]).values_list("blob", "params").first()
        if row is None:
            return None
        try:
            model = learned.loads(bytes(row[0]), version=key[0])
            model.params = dict(row[1] or {})
            model.opinion(normalize(""))  # a model that loads but cannot predict is no model
        except Exception:  # noqa: BLE001 - any broken artefact: fall back to the rules
            logger.warning("triage model v%s cannot be loaded; triage uses the rules alone", key[0])
            model = UnavailableModel(key[0])
        _model.update(pk=key, model=model)
        return model


def triage_text(
    *,
    text: str,
    channel: str = "",
    category: str = "",
    repeat_count: int = 0,
    amount: Decimal | None = None,
    use_model: bool = True,
    rules: CompiledRules | None = None,
    channel_label: str | None = None,
) -> TriageResult:
    """Triage one complaint with the current rules (and model); records nothing.

    The channel's label for the evidence is the registered one (see `vocab`) in the active
    language, unless the caller passes its own.
    """
    rules = rules or rules_compiled()
    model = model_active() if use_model else None
    if channel_label is None:
        channel_label = vocab.channel_labels().get(channel, "") if channel else ""
    return triage(
        rules,
        TriageInput(
            text=text,
            channel=channel,
            category=category,
            repeat_count=repeat_count,
            amount=amount,
            channel_label=channel_label,
        ),
        model=model,
    )


def triage_runs_for_case(*, case_id: int) -> QuerySet[TriageRun]:
    return TriageRun.objects.filter(case_id=case_id).order_by("-created_at", "-id")


def triage_latest_run(*, case_id: int) -> TriageRun | None:
    return triage_runs_for_case(case_id=case_id).first()
