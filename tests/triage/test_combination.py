"""How rules and the learned model combine: a model may raise and, when tuned to, lower a level,
with its probability and strongest n-grams in the reasons; a fact is never lowered. The
thresholds come from the model's calibration on out-of-fold rows. Pure; no database."""

import pytest

from triage.engine import (
    ModelOpinion,
    PatternSpec,
    RuleSetSpec,
    SignalSpec,
    TriageInput,
    combine,
    compile_rules,
    triage,
)
from triage.tuning import NEVER, lower_threshold, raise_threshold, tune

RULES = compile_rules(
    RuleSetSpec(
        version=1,
        signals=(
            SignalSpec(code="media", name="媒体曝光", min_level="red", weight=60,
                       patterns=(PatternSpec("曝光"),)),
            SignalSpec(code="channel_red", name="高危渠道", source="channel", min_level="red",
                       weight=60, patterns=(PatternSpec("regulator"),)),
        ),
    )
)  # fmt: skip


def opinion(red, yellow, blue, *, raise_at=0.5, lower_at=0.1):
    probabilities = {"red": red, "yellow": yellow, "blue": blue}
    return lambda norm: ModelOpinion(
        probabilities=probabilities,
        evidence=("拉了一宿",),
        version=4,
        raise_at=raise_at,
        lower_at=lower_at,
    )


@pytest.mark.parametrize(
    ("rule_level", "probabilities", "firm", "expected"),
    [
        ("blue", {"red": 0.6, "yellow": 0.3, "blue": 0.1}, False, ("red", "raised")),
        ("blue", {"red": 0.45, "yellow": 0.3, "blue": 0.25}, False, ("blue", "")),
        ("red", {"red": 0.05, "yellow": 0.15, "blue": 0.8}, False, ("blue", "lowered")),
        ("red", {"red": 0.2, "yellow": 0.2, "blue": 0.6}, False, ("red", "")),
        ("red", {"red": 0.05, "yellow": 0.15, "blue": 0.8}, True, ("red", "")),
        ("yellow", {"red": 0.3, "yellow": 0.6, "blue": 0.1}, False, ("yellow", "")),
        ("yellow", {"red": 0.01, "yellow": 0.04, "blue": 0.95}, False, ("yellow", "")),
    ],
)
def test_combine_raises_lowers_or_keeps(rule_level, probabilities, firm, expected):
    assert combine(rule_level, probabilities, raise_at=0.5, lower_at=0.1, firm=firm) == expected


def test_a_raise_carries_the_models_probability_and_strongest_ngrams():
    result = triage(RULES, TriageInput(text="昨晚吃完拉了一宿"), model=opinion(0.7, 0.2, 0.1))

    assert (result.level, result.rule_level, result.model_level) == ("red", "blue", "red")
    reason = result.reasons[-1]
    assert (reason["code"], reason["action"], reason["probability"]) == ("model", "raised", 0.7)
    assert reason["evidence"] == ["拉了一宿"]


def test_a_tuned_model_lowers_a_red_it_is_sure_about():
    result = triage(RULES, TriageInput(text="照片曝光有点暗"), model=opinion(0.03, 0.07, 0.9))

    assert (result.level, result.rule_level) == ("blue", "red")
    assert result.reasons[-1]["action"] == "lowered"


def test_a_red_channel_is_a_fact_the_model_never_lowers():
    result = triage(
        RULES, TriageInput(text="顾客来电", channel="regulator"), model=opinion(0.01, 0.09, 0.9)
    )

    assert result.level == "red"


def row(gold, red, rule_level="blue"):
    rest = 1 - red
    return {
        "gold": gold,
        "rule_level": rule_level,
        "firm": False,
        "probabilities": {"red": red, "yellow": rest / 4, "blue": rest * 3 / 4},
    }


def test_the_raise_threshold_is_where_the_models_red_is_precise_enough():
    rows = (
        [row("red", 0.9)] * 9 + [row("blue", 0.9)] + [row("red", 0.5)] * 3 + [row("blue", 0.5)] * 3
    )

    assert raise_threshold(rows, precision_target=0.85) == 0.55


def test_the_lower_threshold_keeps_almost_every_red():
    rows = (
        [row("blue", 0.01, rule_level="red")] * 40
        + [row("blue", 0.12, rule_level="red")] * 10
        + [row("red", 0.12, rule_level="red")] * 5
        + [row("red", 0.01)] * 50  # rules said blue: a lowering never touches these
    )

    assert lower_threshold(rows, miss_rate=0.03) == 0.1


def test_a_model_that_is_never_precise_enough_never_raises():
    rows = [row("blue", 0.9)] * 5 + [row("red", 0.9)] * 5

    assert raise_threshold(rows, precision_target=0.85) == NEVER


def test_tuning_reports_what_the_combination_scores_on_the_rows():
    rows = [row("red", 0.9)] * 10 + [row("blue", 0.02, rule_level="red")] * 10

    tuned = tune(rows)

    assert tuned["report"]["per_level"]["red"]["recall"] == 1.0
    assert tuned["report"]["accuracy"] == 1.0
