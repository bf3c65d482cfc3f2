"""Context as a step of its own: each family sets a cue aside, and the reasons show the cue as
ignored with why. Pure engine on a small rule set; no database."""

import pytest
from django.utils import translation

from triage.engine import PatternSpec, RuleSetSpec, SignalSpec, TriageInput, compile_rules, triage

HARM = SignalSpec(
    code="health_harm",
    name="健康损害",
    min_level="red",
    weight=60,
    patterns=(
        PatternSpec("拉肚子"),
        PatternSpec("进医院"),
        PatternSpec("吐了*次"),
        PatternSpec("住院"),
        PatternSpec("喘不上气"),
        PatternSpec("肚子*疼"),
    ),
    exclude_context=("陪床", "住院部"),
)
MEDIA = SignalSpec(
    code="media",
    name="媒体曝光",
    min_level="red",
    weight=60,
    patterns=(PatternSpec("发到网上"), PatternSpec("曝光")),
    exclude_context=("曝光过度",),
    context_exempt=("conditional",),
)
SCANDAL = SignalSpec(
    code="product_safety",
    name="产品安全",
    min_level="red",
    weight=60,
    patterns=(PatternSpec("病死猪"),),
    context_exempt=("other_person",),
)
RULES = compile_rules(
    RuleSetSpec(
        version=1,
        signals=(HARM, MEDIA, SCANDAL),
        negation_cues=("不会", "没有", "没", "不"),
        retraction_cues=("就算了",),
        negation_window=10,
        context_cues={
            "conditional": ["如果", "万一", "要是"],
            "hypothetical": ["怕", "担心", "差点", "幸好", "本来想"],
            "hypothetical_endings": ["怎么办"],
            "rhetorical": ["想让我", "是不是要"],
            "other_person": ["听说", "别家", "网上说"],
            "scope_window": 14,
        },
    )
)


def run(text):
    with translation.override("en"):
        return triage(RULES, TriageInput(text=text))


def ignored(result):
    return [(r["code"], r["context"], r["cue"]) for r in result.reasons if r.get("ignored")]


@pytest.mark.parametrize(
    ("text", "family", "cue"),
    [
        ("我没有拉肚子，就是面包有点干", "negated", "没有"),
        ("我不会发到网上的，希望改进", "negated", "不会"),
        ("曝光就算了，退钱吧", "negated", "就算了"),
        ("万一孩子吃了拉肚子怎么办", "conditional", "万一"),
        ("要是老人吃了，进医院谁负责", "conditional", "要是"),
        ("怕吃了拉肚子所以没吃", "hypothetical", "怕"),
        ("差点吐了三次，幸好发现得早", "hypothetical", "差点"),
        ("你们是想让我吃进医院吗？", "question", "想让我"),
        ("包装上写着“吃多了会拉肚子”，所以我少吃点", "quoted", "写着"),
        ("听说有人吃了拉肚子，我还没拆", "other_person", "听说"),
        ("我在医院陪床，外卖送到住院部晚了", "unrelated", "陪床"),
        ("商品图曝光过度了，看不清", "unrelated", "曝光过度"),
    ],
)
def test_each_context_family_sets_the_cue_aside_and_says_why(text, family, cue):
    result = run(text)

    assert result.level == "blue"
    assert ignored(result)[0][1:] == (family, cue)
    reason = next(r for r in result.reasons if r.get("ignored"))
    assert reason["weight"] == 0 and reason["evidence"] and cue in reason["why"]


@pytest.mark.parametrize(
    "text",
    [
        "孩子吃完拉肚子了",
        "本来怕拉肚子，结果真的拉肚子了",  # a fear that came true
        "你知道我儿子吐了三次吗？",  # a question that states a fact
        "如果今天不处理，我就发到网上",  # a condition is how a threat is made
        "不处理就曝光",  # a conditional threat, not a negation
        "我不是想闹，但是孩子吃了拉肚子",  # the negation is in another clause
        "新闻里说这个厂的病死猪还在卖",  # a scandal in the news is a fact
        "孩子喝完喘不上气了",  # the keyword's own 不 is not a negation
        "吃完肚子一直疼",
    ],
)
def test_a_statement_of_fact_stands(text):
    result = run(text)

    assert result.level == "red"
    assert not ignored(result)


def test_an_ignored_cue_stays_out_of_the_one_line_summary():
    result = run("怕吃了拉肚子所以没吃")

    assert result.reason_text == ""
    assert ignored(result) == [("health_harm", "hypothetical", "怕")]


def test_a_cue_that_fired_elsewhere_in_the_text_is_not_listed_as_ignored():
    result = run("怕拉肚子没敢吃，可是孩子已经拉肚子了")

    assert result.level == "red"
    assert not ignored(result)


def test_a_negation_in_the_gap_of_a_wildcard_keyword_sets_it_aside():
    result = run("肚子不疼，就是面包有点干")

    assert result.level == "blue"
    assert ignored(result) == [("health_harm", "negated", "不")]
