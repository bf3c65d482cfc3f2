"""The shipped starter rule set (data migration) on each signal family of the rubric, and on the
hard cases: negations, jokes, shampoo "hair", 投诉 inside the app vs to 12315."""

import pytest

from triage.selectors import triage_text

pytestmark = pytest.mark.django_db


def codes(text, **facts):
    return [r["code"] for r in triage_text(text=text, use_model=False, **facts).reasons]


@pytest.mark.parametrize(
    ("text", "family", "level"),
    [
        ("孩子吃了你们的酸奶一直拉肚子，现在在医院", "health_harm", "red"),
        ("My son got food poisoning from your sushi", "health_harm", "red"),
        ("面包里的钢丝把我的牙硌掉了半颗", "injury", "red"),
        ("在门店门口滑倒摔伤了膝盖", "injury", "red"),
        ("再不处理我就发到微博上", "media_exposure", "red"),
        ("我已经联系了电视台的记者", "media_exposure", "red"),
        ("准备发小红书让大家看看", "media_exposure", "red"),
        ("我已经咨询了律师准备起诉", "legal_action", "red"),
        ("I will sue you", "legal_action", "red"),
        ("我要打12315投诉你们", "regulator", "red"),
        ("我会向市场监管局举报", "regulator", "red"),
        ("不止我一个，整栋楼的邻居都买到了坏鸡蛋", "group_complaint", "red"),
        ("不给说法我就去门口拉横幅", "extreme_threat", "red"),
        ("面包上全是霉斑，已经过期了", "food_quality", "yellow"),
        ("沙拉里吃出一只虫子", "foreign_object", "yellow"),
        ("这是我第三次买到坏的东西", "repeat_text", "yellow"),
        ("你们就是一群骗子", "strong_anger", "yellow"),
        ("按规定应该退一赔十", "compensation", "yellow"),
        ("我要去你们总部投诉", "complain_further", "yellow"),
        ("店员把我的电话号码告诉了别人，这是泄露隐私", "privacy", "yellow"),
        ("外卖送晚了四十分钟，饭都凉了", "delivery", "blue"),
        ("结账多收了我三块钱", "price_refund", "blue"),
        ("收银员态度不好", "staff_attitude", "blue"),
        ("这次的红烧肉太咸了", "product_taste", "blue"),
    ],
)
def test_each_family_of_the_rubric_fires_with_its_level(text, family, level):
    result = triage_text(text=text, use_model=False)

    assert family in [r["code"] for r in result.reasons]
    assert result.level == level


@pytest.mark.parametrize(
    ("facts", "family", "level"),
    [
        ({"channel": "media"}, "channel_red", "red"),
        ({"channel": "regulator"}, "channel_red", "red"),
        ({"channel": "police_court"}, "channel_red", "red"),
        ({"channel": "social_media"}, "channel_social", "yellow"),
        ({"repeat_count": 1}, "repeat_history", "yellow"),
        ({"amount": 1500}, "high_amount", "yellow"),
    ],
)
def test_the_channel_repeat_history_and_amount_are_signals(facts, family, level):
    result = triage_text(text="顾客来电", use_model=False, **facts)

    assert ([r["code"] for r in result.reasons], result.level) == ([family], level)


@pytest.mark.parametrize(
    "text",
    [
        "不会去曝光的，只是提个建议",
        "我不打算投诉，就是说一下排队太久",
        "没必要报警，东西换一下就行",
        "这点小事不至于去12315",
        "你们的蛋糕好吃到我想报警，哈哈，开玩笑的",
        "洗发水用了以后头发特别干",
        "我已经在app里投诉了配送慢的问题",
        "I'm not going to call the police, just send the missing item",
    ],
)
def test_negations_jokes_and_other_contexts_do_not_raise_the_level(text):
    assert triage_text(text=text, use_model=False).level == "blue"


def test_a_complaint_in_the_app_is_not_a_complaint_to_the_regulator():
    assert "regulator" not in codes("我要在app里投诉你们")
    assert "regulator" in codes("我要去12315投诉你们")


def test_hair_in_food_is_a_foreign_object_but_hair_after_shampoo_is_not():
    assert "foreign_object" in codes("米饭里有一根头发")
    assert "foreign_object" not in codes("这个洗发水用完，头发一直掉")


@pytest.mark.parametrize(
    "text",
    ["發到微博上曝光你們", "我要 曝 光 你 们", "我要打１２３１５", "拉-肚-子以后去了医-院"],
)
def test_traditional_full_width_and_dodged_spellings_still_fire(text):
    assert triage_text(text=text, use_model=False).level == "red"


def test_a_child_makes_harm_score_higher_without_changing_the_family():
    adult = triage_text(text="吃了以后拉肚子", use_model=False)
    child = triage_text(text="孩子吃了以后拉肚子", use_model=False)

    assert child.score > adult.score
    assert "vulnerable_person" in [r["code"] for r in child.reasons]


def test_evidence_quotes_the_matched_words():
    result = triage_text(text="我吃完拉肚子，去医院了，还要发到微博上", use_model=False)

    evidence = {r["signal"]: r["evidence"] for r in result.reasons}
    assert evidence["健康损害"] == ["拉肚子", "去医院"]
    assert evidence["媒体曝光"] == ["发到微博"]
