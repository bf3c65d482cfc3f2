"""The pure engine on a small hand-built rule set: matching, negation, context, scoring, facts,
and a model that may only raise. No database."""

from decimal import Decimal

import pytest
from django.utils import translation

from triage.engine import (
    ModelOpinion,
    PatternSpec,
    RuleSetSpec,
    SignalSpec,
    TriageInput,
    compile_pattern,
    compile_rules,
    fact_evidence,
    triage,
)

SIGNALS = (
    SignalSpec(
        code="media",
        name="媒体曝光",
        min_level="red",
        weight=60,
        patterns=(PatternSpec("曝光"), PatternSpec("发*微博"), PatternSpec("weibo", language="en")),
        exclude_context=("开玩笑",),
    ),
    SignalSpec(
        code="foreign",
        name="异物",
        min_level="yellow",
        weight=20,
        patterns=(PatternSpec("头发"),),
        exclude_context=("洗发水",),
        context_window=14,
        category="foreign_object",
    ),
    SignalSpec(
        code="anger", name="强烈情绪", min_level="yellow", weight=20, patterns=(PatternSpec("垃圾"),)
    ),
    SignalSpec(
        code="child",
        name="弱势人群",
        weight=15,
        patterns=(PatternSpec("孩子"),),
        only_with=("foreign",),
        negatable=False,
    ),
    SignalSpec(
        code="late", name="配送", weight=3, patterns=(PatternSpec("送晚"),), category="delivery"
    ),
    SignalSpec(
        code="channel_red",
        name="高危渠道",
        source="channel",
        min_level="red",
        weight=60,
        patterns=(PatternSpec("media"), PatternSpec("regulator")),
    ),
    SignalSpec(
        code="repeat", name="重复投诉", source="repeat", min_level="yellow", weight=20, threshold=1
    ),
    SignalSpec(
        code="amount", name="金额", source="amount", min_level="yellow", weight=20, threshold=1000
    ),
    SignalSpec(code="regex", name="报警", min_level="red", weight=60,
               patterns=(PatternSpec(r"(?<![0-9])110(?![0-9])", kind="regex"),)),
)  # fmt: skip
RULES = compile_rules(
    RuleSetSpec(
        version=7,
        signals=SIGNALS,
        negation_cues=("不会", "不打算", "没"),
        retraction_cues=("就算了",),
        yellow_score=30,
        red_score=90,
        model_min_probability=0.8,
    )
)


def run(text="", **facts):
    return triage(RULES, TriageInput(text=text, **facts))


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("我要曝光你们", "red"),
        ("我不会去曝光的", "blue"),  # negation shortly before, same clause
        ("我不打算曝光", "blue"),
        ("曝光就算了，退钱吧", "blue"),  # retracted right after
        ("我不会原谅你们，我要曝光", "red"),  # the negation is in another clause
        ("要是没人管我就曝光", "red"),  # 没人 is not a negation
        ("不会吧，再不处理就曝光", "red"),  # conditional threat after a breaker
        ("好吃到想曝光，开玩笑的", "blue"),  # a joke
        ("我要发到微博上", "red"),  # a wildcard keyword
        ("I will post it on weibo", "red"),
        ("I will not post it on weibo", "blue"),
        ("面包里有头发", "yellow"),
        ("洗发水用完头发很干", "blue"),  # context: shampoo, not a foreign object
        ("今天打了110", "red"),
        ("总价1100元", "blue"),  # not the police number
        ("外卖送晚了", "blue"),
    ],
)
def test_text_signals_respect_negation_and_context(text, level):
    assert run(text).level == level


def test_reasons_name_the_signal_quote_the_evidence_and_the_rule_that_fired():
    result = run("孩子在面包里吃到头发，还要发到微博上")

    assert result.reasons[0] == {
        "signal": "媒体曝光",
        "code": "media",
        "evidence": ["发到微博"],
        "rule": "发*微博",
        "level": "red",
        "weight": 60,
    }
    assert [r["code"] for r in result.reasons] == ["media", "foreign", "child"]
    assert result.reason_text == "媒体曝光: “发到微博”; 异物: “头发”; 弱势人群: “孩子”"
    assert result.ruleset_version == 7


def test_an_amplifier_counts_only_next_to_what_it_amplifies():
    assert run("孩子喜欢你们的面包").reasons == []


def test_the_score_adds_weights_and_its_thresholds_raise_the_level():
    two_yellows = run("面包里有头发，垃圾店")
    five_yellows = run("面包里有头发，垃圾店", repeat_count=2, amount=Decimal("2000"))

    assert (two_yellows.score, two_yellows.level) == (40, "yellow")
    assert (five_yellows.score, five_yellows.level) == (80, "yellow")
    assert run("面包里有头发，孩子吃到了，垃圾店", repeat_count=1, amount=1000).level == "red"


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        ({"channel": "media"}, "channel_red"),
        ({"channel": "regulator"}, "channel_red"),
        ({"repeat_count": 1}, "repeat"),
        ({"amount": Decimal("1000.00")}, "amount"),
    ],
)
def test_facts_fire_their_signals(facts, code):
    assert [r["code"] for r in run("", **facts).reasons] == [code]


# End-to-end QA, item 2: a reason never shows a raw code where people read it.
def test_a_channel_reason_names_the_channel_by_its_label_and_keeps_the_code_as_value():
    with translation.override("en"):
        reason = run("", channel="regulator", channel_label="Regulator (12315)").reasons[0]

    assert (reason["evidence"], reason["value"]) == (["channel: Regulator (12315)"], "regulator")


def test_without_a_label_the_channel_reason_falls_back_to_the_code():
    with translation.override("en"):
        assert run("", channel="media").reasons[0]["evidence"] == ["channel: media"]


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1500.00"), "amount 1,500.00"),
        (Decimal("1234567.5"), "amount 1,234,567.50"),
        (1000, "amount 1,000.00"),
    ],
)
def test_an_amount_reason_shows_the_amount_as_people_read_it(amount, shown):
    with translation.override("en"):
        reason = run("", amount=amount).reasons[0]

    assert (reason["evidence"], reason["value"]) == ([shown], str(amount))


def test_fact_evidence_phrases_a_stored_value_again_with_its_label():
    with translation.override("en"):
        assert fact_evidence("channel", "media", label="News media") == "channel: News media"
        assert fact_evidence("amount", "1500.00") == "amount 1,500.00"


@pytest.mark.parametrize(
    "facts", [{"channel": "app"}, {"repeat_count": 0}, {"amount": Decimal("999.99")}]
)
def test_facts_below_their_threshold_do_not_fire(facts):
    assert run("", **facts).reasons == []


def test_the_category_is_suggested_from_the_strongest_categorised_signal():
    assert run("外卖送晚了，里面还有头发").suggested_category == "foreign_object"


def fixed_model(probabilities):
    return lambda norm: ModelOpinion(probabilities=probabilities, evidence=("曝光",), version=3)


def test_a_confident_model_raises_the_level_and_says_why():
    result = triage(
        RULES,
        TriageInput(text="外卖送晚了"),
        model=fixed_model({"red": 0.9, "yellow": 0.05, "blue": 0.05}),
    )

    assert (result.level, result.rule_level, result.model_level) == ("red", "blue", "red")
    assert result.reasons[-1]["code"] == "model"
    assert result.model_version == 3


def test_an_unsure_model_does_not_raise():
    result = triage(
        RULES,
        TriageInput(text="外卖送晚了"),
        model=fixed_model({"red": 0.6, "yellow": 0.2, "blue": 0.2}),
    )

    assert result.level == "blue"


def test_a_model_without_a_tuned_lowering_never_lowers_what_a_rule_decided():
    result = triage(
        RULES,
        TriageInput(text="我要曝光你们"),
        model=fixed_model({"red": 0.01, "yellow": 0.01, "blue": 0.98}),
    )

    assert (result.level, result.model_level) == ("red", "blue")


@pytest.mark.parametrize(
    "spec",
    [PatternSpec("(unclosed", kind="regex"), PatternSpec("***"), PatternSpec("...", language="en")],
)
def test_an_unusable_pattern_is_refused_with_a_message(spec):
    with pytest.raises(ValueError, match=r"\w"):
        compile_pattern(spec)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("我不是开玩笑，我要曝光", "red"),  # a denied joke is no joke
        ("这可不是玩笑话，我要曝光", "red"),
        ("好吃到想曝光，开玩笑的", "blue"),
    ],
)
def test_an_excluded_context_that_is_denied_does_not_exclude(text, level):
    rules = compile_rules(
        RuleSetSpec(
            version=1,
            signals=(
                SignalSpec(
                    code="media",
                    name="媒体曝光",
                    min_level="red",
                    weight=60,
                    patterns=(PatternSpec("曝光"),),
                    exclude_context=("开玩笑", "玩笑", "好吃到"),
                ),
            ),
        )
    )

    assert triage(rules, TriageInput(text=text)).level == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("别逼我曝光你们", "red"),
        ("不要逼我曝光", "red"),
        ("别再逼我曝光", "red"),
        ("别曝光了", "blue"),
        ("不要曝光", "blue"),
    ],
)
def test_being_pushed_into_a_threat_is_not_a_negation(text, level):
    rules = compile_rules(
        RuleSetSpec(
            version=1,
            signals=(
                SignalSpec(
                    code="media",
                    name="媒体曝光",
                    min_level="red",
                    weight=60,
                    patterns=(PatternSpec("曝光"),),
                ),
            ),
            negation_cues=("别", "不要"),
        )
    )

    assert triage(rules, TriageInput(text=text)).level == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("我要曝，光你们", "red"),
        ("我要曝！！光你们", "red"),
        ("我不会曝，光的", "blue"),  # the negation is read on the clauses as written
        ("我不发，微博上看到的", "blue"),  # a wildcard keyword never crosses a clause
    ],
)
def test_a_plain_keyword_also_matches_across_dodging_punctuation(text, level):
    assert run(text).level == level
