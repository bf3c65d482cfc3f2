"""The shipped rules as data files: `triage/rules/ruleset.yaml` and one `signals/<code>.yaml` each.

Contract (pure: text in, plain values out; no database):

- `parse(ruleset_text, {name: signal_text})` validates the files and returns a `RulesData` with
  the rule-set fields and one dict per signal in the shape of the `Signal` model plus its patterns
  as `(text, kind, language)` tuples. A bad file raises `RulesFileError` naming the file and field.
- `RulesData.digest` is a hash of the content: loading the same content twice changes nothing.
- `dump_ruleset(fields)` / `dump_signal(fields, patterns)` write the same YAML back, for
  `manage.py triage_export_rules` (an admin edit becomes a reviewable diff of these files).

A pattern is written as people read it: a plain string is a Chinese keyword (`*` = anything in
between), `{en: ...}` an English keyword, `{regex: ...}` / `{regex_en: ...}` a regular expression
matched on the normalised Chinese / English text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import yaml

from triage.context import FAMILIES
from triage.engine import (
    KIND_KEYWORD,
    KIND_REGEX,
    LANG_EN,
    LANG_ZH,
    LEVELS,
    SOURCE_AMOUNT,
    SOURCE_CHANNEL,
    SOURCE_REPEAT,
    SOURCE_TEXT,
    PatternSpec,
    compile_pattern,
)

RULESET_FIELDS = {
    "name": str,
    "negation_cues": list,
    "retraction_cues": list,
    "negation_window": int,
    "context_cues": dict,
    "yellow_score": (int, float),
    "red_score": (int, float),
    "model_min_probability": (int, float),
    "repeat_window_days": int,
}
SIGNAL_FIELDS = {
    "code": str,
    "name": str,
    "description": str,
    "source": str,
    "min_level": str,
    "weight": (int, float),
    "negatable": bool,
    "exclude_context": list,
    "context_window": int,
    "threshold": (int, float, type(None)),
    "only_with": list,
    "context_exempt": list,
    "category": str,
    "order": int,
    "is_active": bool,
    "patterns": list,
}
SIGNAL_REQUIRED = ("code", "name", "source", "min_level")
CONTEXT_LISTS = (
    "conditional",
    "hypothetical",
    "hypothetical_endings",
    "rhetorical",
    "other_person",
)
SOURCES = (SOURCE_TEXT, SOURCE_CHANNEL, SOURCE_REPEAT, SOURCE_AMOUNT)
# `{key: text}` pattern forms and what they mean.
PATTERN_FORMS = {
    "zh": (KIND_KEYWORD, LANG_ZH),
    "en": (KIND_KEYWORD, LANG_EN),
    "regex": (KIND_REGEX, LANG_ZH),
    "regex_en": (KIND_REGEX, LANG_EN),
}
FORM_OF = {value: key for key, value in PATTERN_FORMS.items()}


class RulesFileError(ValueError):
    pass


@dataclass(frozen=True)
class RulesData:
    edition: int
    ruleset: dict
    signals: tuple[dict, ...]
    digest: str


def _check_fields(where: str, data: dict, allowed: dict) -> None:
    for key, value in data.items():
        if key not in allowed:
            raise RulesFileError(f"{where}: unknown field {key!r}")
        if not isinstance(value, allowed[key]) or (
            isinstance(value, bool)
            and allowed[key] is not bool
            and bool not in _tuple(allowed[key])
        ):
            raise RulesFileError(f"{where}: field {key!r} has the wrong type")


def _tuple(kinds) -> tuple:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _load(where: str, text: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesFileError(f"{where}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise RulesFileError(f"{where}: expected a mapping at the top")
    return data


def _strings(where: str, key: str, values: list) -> list[str]:
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise RulesFileError(f"{where}: {key} must be a list of non-empty strings")
    return [v.strip() for v in values]


def _patterns(where: str, source: str, items: list) -> list[tuple[str, str, str]]:
    patterns = []
    for item in items:
        if isinstance(item, str):
            form, text = "zh", item
        elif isinstance(item, dict) and len(item) == 1:
            form, text = next(iter(item.items()))
        else:
            raise RulesFileError(
                f"{where}: a pattern is a string or one of {sorted(PATTERN_FORMS)}"
            )
        if form not in PATTERN_FORMS or not isinstance(text, str) or not text.strip():
            raise RulesFileError(f"{where}: bad pattern {item!r}")
        kind, language = PATTERN_FORMS[form]
        if source == SOURCE_TEXT:
            try:
                compile_pattern(PatternSpec(text=text, kind=kind, language=language))
            except ValueError as exc:
                raise RulesFileError(f"{where}: pattern {text!r}: {exc}") from exc
        key = (text, kind, language)
        if key in patterns:
            raise RulesFileError(f"{where}: pattern {text!r} is listed twice")
        patterns.append(key)
    return patterns


def _exempt(where: str, values: list) -> list[str]:
    values = _strings(where, "context_exempt", values)
    unknown = sorted(set(values) - set(FAMILIES))
    if unknown:
        raise RulesFileError(f"{where}: context_exempt: unknown {unknown}; use {list(FAMILIES)}")
    return values


def _context_cues(data: dict) -> dict:
    where = "ruleset.yaml: context_cues"
    cues = {}
    for key, value in data.items():
        if key == "scope_window":
            if not isinstance(value, int) or not 1 <= value <= 40:
                raise RulesFileError(f"{where}: scope_window must be 1-40")
            cues[key] = value
        elif key in CONTEXT_LISTS:
            cues[key] = _strings(where, key, value if isinstance(value, list) else [None])
        else:
            raise RulesFileError(f"{where}: unknown family {key!r}; use {list(CONTEXT_LISTS)}")
    return cues


def parse_signal(where: str, text: str) -> dict:
    data = _load(where, text)
    _check_fields(where, data, SIGNAL_FIELDS)
    missing = [k for k in SIGNAL_REQUIRED if not data.get(k)]
    if missing:
        raise RulesFileError(f"{where}: missing {', '.join(missing)}")
    if data["source"] not in SOURCES:
        raise RulesFileError(f"{where}: source must be one of {', '.join(SOURCES)}")
    if data["min_level"] not in LEVELS:
        raise RulesFileError(f"{where}: min_level must be one of {', '.join(LEVELS)}")
    if data["source"] in (SOURCE_REPEAT, SOURCE_AMOUNT) and data.get("threshold") is None:
        raise RulesFileError(f"{where}: a {data['source']} signal needs a threshold")
    weight = float(data.get("weight", 0))
    if not 0 <= weight <= 100:
        raise RulesFileError(f"{where}: weight must be between 0 and 100")
    return {
        "code": data["code"],
        "name": data["name"],
        "description": data.get("description", ""),
        "source": data["source"],
        "min_level": data["min_level"],
        "weight": weight,
        "negatable": data.get("negatable", True),
        "exclude_context": _strings(where, "exclude_context", data.get("exclude_context", [])),
        "context_window": data.get("context_window", 12),
        "threshold": data.get("threshold"),
        "only_with": _strings(where, "only_with", data.get("only_with", [])),
        "context_exempt": _exempt(where, data.get("context_exempt", [])),
        "category": data.get("category", ""),
        "order": data.get("order", 100),
        "is_active": data.get("is_active", True),
        "patterns": _patterns(where, data["source"], data.get("patterns", [])),
    }


def parse(ruleset_text: str, signal_texts: dict[str, str]) -> RulesData:
    data = _load("ruleset.yaml", ruleset_text)
    edition = data.pop("edition", None)
    if not isinstance(edition, int) or edition < 1:
        raise RulesFileError("ruleset.yaml: edition must be a positive integer")
    _check_fields("ruleset.yaml", data, RULESET_FIELDS)
    ruleset = dict(data)
    for key in ("negation_cues", "retraction_cues"):
        ruleset[key] = _strings("ruleset.yaml", key, ruleset.get(key, []))
    ruleset["context_cues"] = _context_cues(ruleset.get("context_cues", {}))
    signals = [parse_signal(name, text) for name, text in sorted(signal_texts.items())]
    codes = [s["code"] for s in signals]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise RulesFileError(f"signals: code(s) used twice: {', '.join(duplicates)}")
    for signal in signals:
        unknown = set(signal["only_with"]) - set(codes)
        if unknown:
            raise RulesFileError(f"{signal['code']}: only_with names unknown {sorted(unknown)}")
    signals.sort(key=lambda s: (s["order"], s["code"]))
    content = {"edition": edition, "ruleset": ruleset, "signals": signals}
    digest = hashlib.sha256(
        json.dumps(content, ensure_ascii=False, sort_keys=True, default=list).encode()
    ).hexdigest()
    return RulesData(edition=edition, ruleset=ruleset, signals=tuple(signals), digest=digest)


def _pattern_item(text: str, kind: str, language: str):
    form = FORM_OF.get((kind, language), "zh")
    return text if form == "zh" else {form: text}


def dump_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def dump_ruleset(*, edition: int, fields: dict) -> str:
    return dump_yaml({"edition": edition, **fields})


def dump_signal(*, fields: dict, patterns: list[tuple[str, str, str]]) -> str:
    data = {k: v for k, v in fields.items() if k in SIGNAL_FIELDS and k != "patterns"}
    data["patterns"] = [_pattern_item(*p) for p in patterns]
    return dump_yaml(data)
