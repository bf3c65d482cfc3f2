"""Tuning how the rules and the learned model combine.

Contract (pure: plain values in, plain values out): `tune(rows)` takes, for every training row,
its gold level, the rules' level, whether a fact decided it (`firm`) and the model's out-of-fold
probabilities (from models that never saw the row's writer), and returns `{"raise_at",
"lower_at", "report"}`.

The thresholds come from the model's own calibration on those rows, not from how the rules did
on them: the rules were written while reading the training split, so their figures there are
better than they will be on customers, and a search that maximised the combination would learn
to trust them too much.

- `raise_at`: the lowest probability at which the model's "red" is right at least
  `precision_target` of the time (the desk's red-precision goal) — on all rows, see
  `raise_threshold`; `NEVER` when no threshold reaches it;
- `lower_at`: on the rows the rules found red without a fact (the only ones a lowering
  changes), the highest probability of red below which at most `miss_rate` of them are red
  after all; None (never lower) when no threshold keeps that promise.

`report` is what the combination scores on the same out-of-fold rows, for the record.
"""

from __future__ import annotations

from triage.engine import combine
from triage.evaluation import evaluate

GRID = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))  # 0.30 .. 0.95
LOWER_GRID = (0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3)
PRECISION_TARGET = 0.85
MISS_RATE = 0.03


def combined_levels(rows: list[dict], *, raise_at: float, lower_at: float | None) -> list[str]:
    return [
        combine(
            r["rule_level"],
            r["probabilities"],
            raise_at=raise_at,
            lower_at=lower_at,
            firm=r["firm"],
        )[0]
        for r in rows
    ]


def _model_says_red(row: dict, threshold: float) -> bool:
    p = row["probabilities"]
    return max(p, key=p.get) == "red" and p["red"] >= threshold


# A probability no model reaches: the model never raises.
NEVER = 1.01


def raise_threshold(rows: list[dict], *, precision_target: float = PRECISION_TARGET) -> float:
    # All rows, not only those the rules missed: on the training split the rules miss almost
    # nothing (they were written from it), so the few rows left would say "never raise" — while
    # on new writers' text the rules miss a fifth of the reds and the model finds them.
    for threshold in GRID:
        chosen = [r for r in rows if _model_says_red(r, threshold)]
        if chosen and sum(r["gold"] == "red" for r in chosen) / len(chosen) >= precision_target:
            return threshold
    return NEVER


def lower_threshold(rows: list[dict], *, miss_rate: float = MISS_RATE) -> float | None:
    rows = [r for r in rows if r["rule_level"] == "red" and not r["firm"]]
    best = None
    for threshold in LOWER_GRID:
        chosen = [r for r in rows if r["probabilities"].get("red", 0.0) <= threshold]
        if chosen and sum(r["gold"] == "red" for r in chosen) / len(chosen) <= miss_rate:
            best = threshold
    return best


def tune(
    rows: list[dict],
    *,
    precision_target: float = PRECISION_TARGET,
    miss_rate: float = MISS_RATE,
) -> dict:
    raise_at = raise_threshold(rows, precision_target=precision_target)
    lower_at = lower_threshold(rows, miss_rate=miss_rate)
    levels = combined_levels(rows, raise_at=raise_at, lower_at=lower_at)
    report = evaluate([(r["gold"], lv) for r, lv in zip(rows, levels, strict=True)])
    return {"raise_at": raise_at, "lower_at": lower_at, "report": report}
