"""Tuning how the rules and the learned model combine.

Contract (pure: plain values in, plain values out): `tune(rows)` takes, for every training row,
its gold level, the rules' level, whether a fact decided it (`firm`) and the model's out-of-fold
probabilities, tries every pair of thresholds on a small grid with `engine.combine` and returns
the best `{"raise_at", "lower_at"}` with the figures it reached. Best = highest red F1 plus
three-level accuracy; ties go to higher red recall, then to the more cautious thresholds.
"""

from __future__ import annotations

from triage.engine import combine
from triage.evaluation import evaluate

RAISE_GRID = tuple(round(0.40 + 0.05 * i, 2) for i in range(12))  # 0.40 .. 0.95
LOWER_GRID = (None, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3)


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


def _score(report: dict) -> tuple:
    red = report["per_level"]["red"]
    return (round(red["f1"] + report["accuracy"], 4), red["recall"])


def tune(rows: list[dict]) -> dict:
    best, best_key = None, None
    for raise_at in reversed(RAISE_GRID):  # cautious first: ties keep the higher threshold
        for lower_at in LOWER_GRID:
            levels = combined_levels(rows, raise_at=raise_at, lower_at=lower_at)
            report = evaluate([(r["gold"], lv) for r, lv in zip(rows, levels, strict=True)])
            key = _score(report)
            if best_key is None or key > best_key:
                best_key = key
                best = {"raise_at": raise_at, "lower_at": lower_at, "report": report}
    return best
