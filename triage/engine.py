"""The triage engine: text and facts in, level + score + reasons out.

Contract (pure: plain values in, plain values out; no database, no clock, no settings):

- `compile_rules(RuleSetSpec)` turns the rules people edit in the admin into regular expressions
  once; `triage(rules, TriageInput, model=None)` runs them on one complaint.
- A *signal* fires when one of its patterns matches the normalised text (see `normalize`) and the
  match is neither negated (a negation cue shortly before it in the same clause, e.g. `不会去曝光`,
  or a retraction right after it, e.g. `曝光就算了`) nor in an excluded context (a term near it
  that changes its meaning, e.g. `洗发水` near `头发`). Fact signals fire on the channel, on the
  number of earlier complaints of the same customer/order and on the amount involved.
- The level is the highest `min_level` of the fired signals, raised further when the summed
  weights (the score, capped at 100) pass the rule set's yellow/red thresholds.
- A learned model may raise the level when it is confident enough, and lower a red the rules
  found when it is sure there is no red (see `combine`); its reason names its probability and
  the character n-grams that drove it.
- Every fired signal is returned as a reason: `{"signal", "code", "evidence", "rule", "level",
  "weight"}`: `signal` is the name handlers read (媒体曝光), `code` the stable identifier, and
  `evidence` quotes the customer's own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.reasons import reason_line
from triage.context import NEGATED, UNRELATED, ContextCues, Dismissal, read_context
from triage.normalize import CLAUSE_MARK, NormalizedText, normalize, normalize_pattern

LEVELS = ("blue", "yellow", "red")
LEVEL_ORDER = {level: rank for rank, level in enumerate(LEVELS)}

SOURCE_TEXT = "text"
SOURCE_CHANNEL = "channel"
SOURCE_REPEAT = "repeat"
SOURCE_AMOUNT = "amount"

LANG_ZH = "zh"
LANG_EN = "en"
KIND_KEYWORD = "keyword"
KIND_REGEX = "regex"

# `*`, `…` or `...` inside a keyword: "anything in between, within the same clause".
_WILDCARD = re.compile(r"\*|…|\.\.\.")
_ZH_GAP = rf"[^{re.escape(CLAUSE_MARK)}]{{0,8}}?"
_EN_GAP = r"(?:\s+[^\s|]+){0,4}?\s+"
MAX_EVIDENCE = 5

# An excluded-context term right after one of these is denied, so it excludes nothing:
# "我不是开玩笑，…律师函", "这不是玩笑", "别开玩笑了，我已经报警了".
_EXCLUSION_DENIALS = re.compile(r"(?:不是|没有|没在|不在|并非|绝非|没|不|别)$")
_EN_EXCLUSION_DENIALS = re.compile(r"\b(?:not|no|never|isn t|isnt|am not|m not)\s*$")
_EN_NEGATION = re.compile(
    r"\b(?:not|no|never|won t|wont|don t|dont|didn t|didnt|doesn t|without|no need to|nor)\b"
)
_EN_BREAKERS = re.compile(r"\b(?:but|or|unless|otherwise|then|if)\b")


@dataclass(frozen=True)
class PatternSpec:
    text: str
    kind: str = KIND_KEYWORD
    language: str = LANG_ZH


@dataclass(frozen=True)
class SignalSpec:
    code: str
    name: str
    min_level: str = "blue"
    weight: float = 0
    source: str = SOURCE_TEXT
    patterns: tuple[PatternSpec, ...] = ()
    negatable: bool = True
    exclude_context: tuple[str, ...] = ()
    context_window: int = 12
    # Fact signals: fires at or above this number of earlier complaints / this amount.
    threshold: float | None = None
    # Only counts when one of these signals fired too (e.g. "a child" makes harm worse).
    only_with: tuple[str, ...] = ()
    category: str = ""
    # Context families (see `triage.context`) that do not dismiss this signal's matches.
    context_exempt: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSetSpec:
    version: int
    signals: tuple[SignalSpec, ...]
    negation_cues: tuple[str, ...] = ()
    retraction_cues: tuple[str, ...] = ()
    negation_window: int = 6
    # Cue words of the other context families: hypothetical, hypothetical_endings, rhetorical,
    # other_person (lists), scope_window (characters).
    context_cues: dict = field(default_factory=dict)
    yellow_score: float = 30
    red_score: float = 90
    model_min_probability: float = 0.8
    # Not used by the engine: how far back the caller looks for earlier complaints.
    repeat_window_days: int = 30


@dataclass(frozen=True)
class TriageInput:
    text: str
    channel: str = ""
    category: str = ""
    repeat_count: int = 0
    amount: Decimal | float | None = None
    # How people call the channel (`监管部门` for `regulator`), for the evidence; the caller
    # knows the labels, the engine only the codes. Empty: the code is shown.
    channel_label: str = ""


@dataclass(frozen=True)
class ModelOpinion:
    """What a learned model says about one text: probabilities per level and its evidence."""

    probabilities: dict[str, float]
    evidence: tuple[str, ...] = ()
    version: int | None = None
    # How this model combines with the rules, tuned on the training split when it was trained:
    # raise to the model's level at this probability or more; lower to it when the rules' level
    # has at most `lower_at` (None: never lower). None for `raise_at`: the rule set's setting.
    raise_at: float | None = None
    lower_at: float | None = None


@dataclass(frozen=True)
class TriageResult:
    level: str
    score: float
    reasons: list[dict]
    rule_level: str
    suggested_category: str = ""
    model_level: str = ""
    model_probability: float | None = None
    ruleset_version: int | None = None
    model_version: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def reason_text(self) -> str:
        """`媒体曝光: "发到微博上"; 健康损害: "拉肚子", "去医院"` for the case's risk_reason; a cue
        set aside by context is in `reasons`, not in this one-line summary."""
        return reason_line(self.reasons)


@dataclass(frozen=True)
class _CompiledPattern:
    text: str
    regex: re.Pattern
    language: str


@dataclass(frozen=True)
class _CompiledSignal:
    spec: SignalSpec
    patterns: tuple[_CompiledPattern, ...]
    exclude_zh: re.Pattern | None
    exclude_en: re.Pattern | None
    channels: frozenset[str]
    exempt: frozenset[str] = frozenset()
    # Plain Chinese keywords (no wildcard, not a regex) also match across clause punctuation put
    # between their characters to dodge filters (`曝，光`): one alternation of them, the longest
    # one's length, and which keyword each normalised form came from. Wildcards stay in a clause.
    joinable: re.Pattern | None = None
    joinable_length: int = 0
    joinable_texts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledRules:
    spec: RuleSetSpec
    signals: tuple[_CompiledSignal, ...]
    context: ContextCues


def keyword_regex(text: str, language: str) -> str:
    """A keyword as people type it (`发*微博`, `call the police`) as a regular expression."""
    pieces = _WILDCARD.split(text)
    if language == LANG_EN:
        words = [" ".join(normalize(p).spaced.replace(CLAUSE_MARK, " ").split()) for p in pieces]
        words = [w for w in words if w]
        if not words:
            raise ValueError(_("The pattern is empty after normalisation."))
        body = _EN_GAP.join(r"\s+".join(re.escape(t) for t in w.split()) for w in words)
        return rf"(?<![^\s|]){body}(?![^\s|])"
    parts = [normalize_pattern(p) for p in pieces]
    parts = [p for p in parts if p]
    if not parts:
        raise ValueError(_("The pattern is empty after normalisation."))
    return _ZH_GAP.join(re.escape(p) for p in parts)


def compile_pattern(spec: PatternSpec) -> re.Pattern:
    """Raises ValueError with a readable message for a pattern that cannot be used."""
    if spec.kind == KIND_REGEX:
        try:
            return re.compile(spec.text)
        except re.error as exc:
            raise ValueError(_("Invalid regular expression: %(error)s") % {"error": exc}) from exc
    return re.compile(keyword_regex(spec.text, spec.language))


def _alternation(terms, language: str) -> re.Pattern | None:
    regexes = []
    for term in terms:
        try:
            regexes.append(keyword_regex(term, language))
        except ValueError:
            continue
    return re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None


def compile_rules(spec: RuleSetSpec) -> CompiledRules:
    signals = []
    for signal in spec.signals:
        patterns = []
        for pattern in signal.patterns:
            try:
                regex = compile_pattern(pattern)
            except ValueError:
                continue  # the admin refuses these; skip a bad row rather than fail triage
            patterns.append(_CompiledPattern(pattern.text, regex, pattern.language))
        joinable_texts: dict[str, str] = {}
        for pattern in signal.patterns:
            if (
                pattern.kind == KIND_KEYWORD
                and pattern.language == LANG_ZH
                and not _WILDCARD.search(pattern.text)
            ):
                literal = normalize_pattern(pattern.text)
                if len(literal) > 1:
                    joinable_texts.setdefault(literal, pattern.text)
        literals = sorted(joinable_texts, key=len, reverse=True)
        signals.append(
            _CompiledSignal(
                spec=signal,
                patterns=tuple(patterns),
                exclude_zh=_alternation(signal.exclude_context, LANG_ZH),
                exclude_en=_alternation(
                    [t for t in signal.exclude_context if t.isascii()], LANG_EN
                ),
                channels=frozenset(p.text.strip().lower() for p in signal.patterns),
                exempt=frozenset(signal.context_exempt),
                joinable=re.compile("|".join(map(re.escape, literals))) if literals else None,
                joinable_length=len(literals[0]) if literals else 0,
                joinable_texts=joinable_texts,
            )
        )
    return CompiledRules(spec=spec, signals=tuple(signals), context=context_cues(spec))


def context_cues(spec: RuleSetSpec) -> ContextCues:
    def words(values) -> tuple[str, ...]:
        return tuple(w for w in (normalize_pattern(v) for v in values or ()) if w)

    extra = spec.context_cues or {}
    return ContextCues(
        negation=words(spec.negation_cues),
        retraction=words(spec.retraction_cues),
        conditional=words(extra.get("conditional")),
        hypothetical=words(extra.get("hypothetical")),
        hypothetical_endings=words(extra.get("hypothetical_endings")),
        rhetorical=words(extra.get("rhetorical")),
        other_person=words(extra.get("other_person")),
        negation_window=spec.negation_window,
        scope_window=int(extra.get("scope_window", 14)),
    )


# characters before an English match that can hold the five words negation looks at
_EN_LOOKBACK = 80


def _en_negated(text: str, start: int) -> bool:
    lo = max(0, start - _EN_LOOKBACK)
    boundary = text.rfind(CLAUSE_MARK, lo, start)
    words = text[boundary + 1 if boundary >= 0 else lo : start].split()[-5:]
    prefix = " ".join(words)
    found = list(_EN_NEGATION.finditer(prefix))
    return bool(found) and not _EN_BREAKERS.search(prefix[found[-1].end() :])


def _excluded(signal: _CompiledSignal, text: str, start: int, end: int, english: bool) -> str:
    """The unrelated-context term near the match that changes its meaning ("" when none)."""
    regex = signal.exclude_en if english else signal.exclude_zh
    if regex is None:
        return ""
    window = signal.spec.context_window
    denials = _EN_EXCLUSION_DENIALS if english else _EXCLUSION_DENIALS
    for found in regex.finditer(text, max(0, start - window), min(len(text), end + window)):
        # "不是开玩笑" says the opposite of "开玩笑": a denied context term does not exclude.
        before = text[max(0, found.start() - 8) : found.start()]
        if not denials.search(before):
            return found.group()
    return ""


def _dodged_spans(signal: _CompiledSignal, norm: NormalizedText):
    """(start, end, pattern text) in the compact form of each plain keyword spelled across
    clause punctuation put between its characters (`曝，光`, `报、警`)."""
    if signal.joinable is None:
        return
    joined, index = norm.joined
    if len(joined) == len(norm.compact):
        return
    seen = set()
    reach = signal.joinable_length - 1
    for j in range(1, len(joined)):
        if index[j] - index[j - 1] == 1:
            continue  # nothing was dropped here
        # Only a keyword that spans this join can be new: search just around it.
        for match in signal.joinable.finditer(joined, max(0, j - reach), j + reach):
            start, end = match.span()
            if start < j < end and (start, end) not in seen:
                seen.add((start, end))
                yield index[start], index[end - 1] + 1, signal.joinable_texts[match.group()]


def _dismissal(
    rules: CompiledRules, signal: _CompiledSignal, norm: NormalizedText, span: tuple
) -> Dismissal | None:
    english, start, end, pattern_text = span
    text = norm.spaced if english else norm.compact
    exempt = signal.exempt
    if english:
        if signal.spec.negatable and NEGATED not in exempt and _en_negated(text, start):
            return Dismissal(NEGATED, "not")
    elif signal.spec.negatable:
        # Context reads the clauses as written, also for a dodged keyword: `不会曝，光` is negated.
        gaps = _gaps(pattern_text, text[start:end])
        found = read_context(rules.context, norm, start, end, exempt=exempt, gaps=gaps)
        if found is not None:
            return found
    term = _excluded(signal, text, start, end, english)
    return Dismissal(UNRELATED, term) if term else None


def _gaps(pattern_text: str, matched: str) -> str:
    """What a `*` keyword let through between its words (empty for any other pattern)."""
    pieces = [normalize_pattern(p) for p in _WILDCARD.split(pattern_text)]
    pieces = [p for p in pieces if p]
    if len(pieces) < 2 or not matched.startswith(pieces[0]):
        return ""
    gaps, at = [], len(pieces[0])
    for piece in pieces[1:]:
        found = matched.find(piece, at)
        if found < 0:
            return ""
        gaps.append(matched[at:found])
        at = found + len(piece)
    return "|".join(gaps)


def _text_matches(rules: CompiledRules, signal: _CompiledSignal, norm: NormalizedText) -> tuple:
    """(evidence, fired patterns, dismissed) of one text signal; `dismissed` holds
    `(quote, Dismissal)` for matches that context set aside."""
    spans: list[tuple[bool, int, int, str]] = []
    compact, spaced = norm.compact, norm.spaced
    for pattern in signal.patterns:
        english = pattern.language == LANG_EN
        # Most patterns match nothing: keep this loop tight.
        for match in pattern.regex.finditer(spaced if english else compact):
            if match.start() != match.end():
                spans.append((english, match.start(), match.end(), pattern.text))
    for start, end, pattern_text in _dodged_spans(signal, norm):
        spans.append((False, start, end, pattern_text))
    if not spans:
        return [], [], []
    # Overlapping matches (曝光 inside 微博上曝光) are one piece of evidence: keep the longest.
    spans.sort(key=lambda c: (c[0], c[1], -(c[2] - c[1])))
    evidence: list[str] = []
    fired_patterns: list[str] = []
    dismissed: list[tuple[str, Dismissal]] = []
    last_end = {False: -1, True: -1}
    for span in spans:
        english, start, end, pattern_text = span
        quote = norm.spaced_evidence(start, end) if english else norm.evidence(start, end)
        found = _dismissal(rules, signal, norm, span)
        if found is not None:
            if len(dismissed) < MAX_EVIDENCE and all(q != quote for q, _ in dismissed):
                dismissed.append((quote, found))
            continue
        if start < last_end[english]:
            continue
        last_end[english] = end
        if quote not in evidence:
            evidence.append(quote)
        if pattern_text not in fired_patterns:
            fired_patterns.append(pattern_text)
        if len(evidence) >= MAX_EVIDENCE:
            break
    return evidence, fired_patterns, dismissed


def why_text(family: str, cue: str) -> str:
    """Why a cue was set aside, in the active language: `假设（怕）`."""
    labels = {
        "negated": _("negated"),
        "conditional": _("conditional"),
        "hypothetical": _("hypothetical or feared"),
        "question": _("rhetorical question"),
        "quoted": _("quoted"),
        "other_person": _("someone else's or another shop's"),
        "unrelated": _("unrelated context"),
    }
    return _("%(why)s: “%(cue)s”") % {"why": labels.get(family, family), "cue": cue}


def _ignored_reason(spec: SignalSpec, dismissed: list) -> dict:
    """A signal whose every match context set aside: shown, weightless, with why."""
    quote, first = dismissed[0]
    return {
        "signal": spec.name,
        "code": spec.code,
        "evidence": [q for q, _d in dismissed],
        "level": spec.min_level,
        "weight": 0,
        "ignored": True,
        "context": first.family,
        "cue": first.cue,
        "why": why_text(first.family, first.cue),
    }


def _fact_value(signal: _CompiledSignal, data: TriageInput) -> str | None:
    """The fact that fired a fact signal as a plain, untranslated value (None: it did not)."""
    spec = signal.spec
    if spec.source == SOURCE_CHANNEL:
        channel = (data.channel or "").strip().lower()
        return channel if channel in signal.channels else None
    if spec.source == SOURCE_REPEAT:
        threshold = spec.threshold if spec.threshold is not None else 1
        if data.repeat_count and data.repeat_count >= threshold:
            return str(data.repeat_count)
        return None
    if spec.source == SOURCE_AMOUNT:
        if data.amount is None or spec.threshold is None:
            return None
        if Decimal(str(data.amount)) >= Decimal(str(spec.threshold)):
            return str(data.amount)
    return None


def format_amount(value: str) -> str:
    """`1500` -> `1,500.00`: an amount as people read it (the plain value stays in `value`)."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def fact_evidence(source: str, value: str, *, label: str = "") -> str:
    """A fact signal's evidence as a sentence in the active language.

    `label` is how people call the value (a channel's display name); without one the value is
    shown as it is. Reasons also keep the plain `value`, so a display can phrase it again in its
    own language.
    """
    if source == SOURCE_CHANNEL:
        return _("channel: %(channel)s") % {"channel": label or value}
    if source == SOURCE_REPEAT:
        return _("%(count)d earlier complaint(s) from the same customer or order") % {
            "count": int(value)
        }
    if source == SOURCE_AMOUNT:
        return _("amount %(amount)s") % {"amount": format_amount(value)}
    return label or value


def decided_by_fact(reasons) -> bool:
    """Whether a fact signal (channel, repeat history, amount) fired: beyond what the model reads."""
    return any(r.get("value") is not None for r in reasons)


def combine(
    rule_level: str,
    probabilities: dict[str, float],
    *,
    raise_at: float,
    lower_at: float | None,
    firm: bool = False,
) -> tuple[str, str]:
    """The level from the rules' level and the model's probabilities: `(level, action)`, the
    action being "", "raised" or "lowered".

    The model raises to its own level when it is at least `raise_at` sure of it; it lowers only
    a red — the false alarms it was tuned on (feared, negated or unrelated harm) — and only when
    red has at most `lower_at` under it. A red that a fact decided (channel, history, amount) is
    beyond what the model reads, so `firm` keeps it."""
    model_level = max(probabilities, key=probabilities.get)
    if LEVEL_ORDER[model_level] > LEVEL_ORDER[rule_level]:
        if probabilities[model_level] >= raise_at:
            return model_level, "raised"
    elif rule_level == "red" and model_level != "red" and lower_at is not None and not firm:
        if probabilities.get("red", 0.0) <= lower_at:
            return model_level, "lowered"
    return rule_level, ""


def _model_reason(
    opinion: ModelOpinion, model_level: str, probability: float, action: str, rule_level: str
) -> dict:
    if action == "raised":
        why = _("raised from %(level)s") % {"level": rule_level}
    else:
        why = _("lowered from %(level)s") % {"level": rule_level}
    return {
        "signal": _("Learned model"),
        "code": "model",
        "evidence": list(opinion.evidence),
        "rule": _("model v%(version)s, p=%(p).2f") % {"version": opinion.version, "p": probability},
        "level": model_level,
        "weight": 0,
        "probability": probability,
        "action": action,
        "why": why,
    }


def _max_level(*levels: str) -> str:
    return max((lv for lv in levels if lv), key=lambda lv: LEVEL_ORDER[lv], default="blue")


def triage(
    rules: CompiledRules,
    data: TriageInput,
    *,
    model: Callable[[NormalizedText], ModelOpinion | None] | None = None,
) -> TriageResult:
    norm = normalize(data.text)
    fired: dict[str, dict] = {}
    ignored: list[dict] = []
    for signal in rules.signals:
        spec = signal.spec
        if spec.source == SOURCE_TEXT:
            evidence, patterns, dismissed = _text_matches(rules, signal, norm)
            rule = ", ".join(patterns)
            if dismissed and not evidence:
                ignored.append(_ignored_reason(spec, dismissed))
        else:
            value = _fact_value(signal, data)
            label = data.channel_label if spec.source == SOURCE_CHANNEL else ""
            evidence = [fact_evidence(spec.source, value, label=label)] if value is not None else []
            rule = spec.source
        if evidence:
            fired[spec.code] = {
                "signal": spec.name,
                "code": spec.code,
                "evidence": evidence,
                "rule": rule,
                "level": spec.min_level,
                "weight": spec.weight,
                "_category": spec.category,
                "_only_with": spec.only_with,
            }
            if spec.source != SOURCE_TEXT:
                fired[spec.code]["value"] = value
    # Amplifiers count only next to what they amplify.
    reasons = [
        r for r in fired.values() if not r["_only_with"] or any(c in fired for c in r["_only_with"])
    ]
    score = min(100.0, float(sum(r["weight"] for r in reasons)))
    level = _max_level("blue", *(r["level"] for r in reasons))
    if score >= rules.spec.red_score:
        level = _max_level(level, "red")
    elif score >= rules.spec.yellow_score:
        level = _max_level(level, "yellow")
    rule_level = level
    reasons.sort(key=lambda r: (-LEVEL_ORDER[r["level"]], -r["weight"]))
    categorised = sorted(
        (r for r in reasons if r["_category"]),
        key=lambda r: -r["weight"] - 100 * LEVEL_ORDER[r["level"]],
    )
    suggested = categorised[0]["_category"] if categorised else ""
    reasons = [{k: v for k, v in r.items() if not k.startswith("_")} for r in reasons]
    reasons += ignored

    model_level, model_probability, model_version = "", None, None
    opinion = model(norm) if model is not None else None
    if opinion is not None and opinion.probabilities:
        model_version = opinion.version
        model_level = max(opinion.probabilities, key=opinion.probabilities.get)
        model_probability = round(opinion.probabilities[model_level], 4)
        raise_at = (
            opinion.raise_at if opinion.raise_at is not None else rules.spec.model_min_probability
        )
        firm = decided_by_fact(reasons)
        combined, action = combine(
            level, opinion.probabilities, raise_at=raise_at, lower_at=opinion.lower_at, firm=firm
        )
        if action:
            reasons.append(_model_reason(opinion, model_level, model_probability, action, level))
            level = combined
    elif opinion is not None and opinion.evidence:
        # A model that should be there but could not be used: said, not hidden.
        reasons.append(
            {
                "signal": _("Learned model"),
                "code": "model",
                "evidence": list(opinion.evidence),
                "level": "blue",
                "weight": 0,
                "ignored": True,
                "context": "unavailable",
                "why": _("rules only: the trained model could not be loaded"),
            }
        )
    return TriageResult(
        level=level,
        score=round(score, 2),
        reasons=reasons,
        rule_level=rule_level,
        suggested_category=suggested,
        model_level=model_level,
        model_probability=model_probability,
        ruleset_version=rules.spec.version,
        model_version=model_version,
    )
