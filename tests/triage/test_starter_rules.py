"""The shipped starter rule set (data migration) on each signal family of the rubric, and on the
hard cases: negations, jokes, shampoo "hair", 投诉 inside the app vs to 12315."""

import pytest

from triage.selectors import triage_text

pytestmark = pytest.mark.django_db


def codes(text, **facts):
    result = triage_text(text=text, use_model=False, **facts)
    return [r["code"] for r in result.reasons if not r.get("ignored")]


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


# Review of issue 5, item 1: a number is only the police or the ambulance when it is called.
@pytest.mark.parametrize(
    "text",
    [
        "会员价120，结账收了128",
        "等了120分钟才送到",
        "第120号自提柜打不开",
        "这箱橙子110元，一半都不甜",
        "总共120元的东西少送了两样",
        "门店电话0571-8812 0110打不通",
        "我的电话是13912345678，骑手一直没打过来",  # holds 12345
        "订单号2023123150001，少送了一瓶水",  # holds 12315
        "单号 8812331 的外卖送错了",  # holds 12331
        "这单一共12,315元的团购，发票还没开",  # a thousands separator is not a dodge
    ],
)
def test_prices_order_numbers_and_phone_numbers_are_not_emergency_or_hotline_numbers(text):
    result = triage_text(text=text, use_model=False)

    assert (result.level, result.reason_text) == ("blue", result.reason_text)
    assert not {"health_harm", "legal_action", "regulator"} & set(codes(text))


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("孩子吃完一直抽搐，我们已经打了120", "health_harm"),
        ("老人吃完晕倒了，刚叫了120救护车", "health_harm"),
        ("急救车120已经在路上了", "health_harm"),
        ("店员推我，我已经拨打110了", "legal_action"),
        ("我打了 1 1 0", "legal_action"),
        ("我要打12315投诉你们", "regulator"),
        ("已经打了１２３４５市民热线", "regulator"),
    ],
)
def test_calling_the_emergency_and_hotline_numbers_still_makes_a_case_red(text, family):
    assert family in codes(text)
    assert triage_text(text=text, use_model=False).level == "red"


# Item 2: single words that ordinary complaints use, and yellow words inside other words.
@pytest.mark.parametrize(
    "text",
    [
        "这家店的全网最低价是真的吗？我在别家看到更便宜的。",
        "本来想发个朋友圈夸夸你们的，结果今天的蛋糕送晚了半小时。",
        "我在抖音上发了个视频夸你们的烤鸡，结果今天去买没货了。",
        "你们的社交媒体账号发的优惠信息和店里的价格不一样。",
        "请你们相关部门的同事尽快给我回个电话，订单少送了一袋米。",
        "店员说要找警察叔叔帮忙找走失的小孩，这个服务很好，表扬一下。",
        "全家都觉得这次的饺子太咸了。",
        "邻居也说你们家的菜比别家贵。",
        "我们小区都没有你们的自提点，能不能开一个？",
        "我拼命给客服打电话都没人接，就是想改一下配送地址。",
        "收银台让顾客自己动手装袋，太不方便了。",
        "你们做活动的横幅挂歪了，提个醒。",
        "我真的无语吐了，排了半小时队才结上账。",
        "孩子发烧在家，所以让你们送货上门，结果送晚了一个小时。",
        "我打人工客服打了半天都没人接。",
        "发生的事情很简单：我订的水果晚到了一个小时。",
        "你们学生的优惠卡怎么办理？",
        "医生的建议是少吃甜的，你们有没有无糖蛋糕？",
        "优惠券过期了没法用，能不能帮我延长一下？",
        "会员积分已经过期了，能不能恢复？",
        "你们的塑料包装盒太难打开了，建议改进一下。",
        "我在医院上班，你们的外卖总是送到医院门口就不管了。",
    ],
)
def test_ordinary_complaints_with_words_that_look_like_signals_stay_blue(text):
    result = triage_text(text=text, use_model=False)

    assert (result.level, result.reason_text) == ("blue", result.reason_text)


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("鸡翅根中间还是生的，咬开全是血水", "food_quality"),
        ("牛奶已经过期三天了", "food_quality"),
        ("用优惠券买的酸奶过期了", "food_quality"),
        ("熟食里吃出了一小块塑料", "foreign_object"),
        ("我真的吐了，这么贵的车厘子一半是烂的", "food_quality"),
    ],
)
def test_the_narrowed_yellow_words_still_fire_on_food(text, family):
    assert family in codes(text)
    assert triage_text(text=text, use_model=False).level == "yellow"


# Item 3: "别逼我…" and "我不是开玩笑" are threats, not negations or jokes.
@pytest.mark.parametrize(
    "text",
    [
        "别逼我去曝光你们，今天必须给我处理。",
        "你们不要逼我发微博。",
        "别再逼我去找记者了。",
        "我不是开玩笑，下周一律师函就到。",
        "这不是玩笑，我已经报警了。",
        "别开玩笑了，我已经打了12315。",
        "I'm not joking, I will call the police.",
    ],
)
def test_threat_wording_is_not_read_as_a_negation_or_a_joke(text):
    assert triage_text(text=text, use_model=False).level == "red"


def test_negations_and_jokes_still_cancel_a_threat():
    assert [
        triage_text(text=t, use_model=False).level
        for t in ("我不会去曝光的", "别去曝光了，没必要", "好吃到想报警，开玩笑的")
    ] == ["blue", "blue", "blue"]


# Item 4: families of real red cases that were missed.
@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("孩子喝了你们的奶，现在人在医院躺着。", "health_harm"),
        ("我老婆怀孕七个月，喝了你们的鲜奶后一直肚子绞痛，现在在妇幼保健院观察。", "health_harm"),
        ("吃完你们的寿司肚子绞痛了一晚上。", "health_harm"),
        ("我爸吃了你们的卤肉，正在社区医院打吊瓶。", "health_harm"),
        ("老人吃了你们的汤圆噎住了，差点没救过来。", "health_harm"),
        ("孩子被你们的软糖卡住了喉咙，憋得脸都紫了。", "health_harm"),
        ("My daughter choked on a piece of your candy.", "health_harm"),
        ("已经有网友转发了，评论里都在骂你们。", "media_exposure"),
        ("我要让你们上热门。", "media_exposure"),
        ("这件事已经在网上传开了。", "media_exposure"),
        ("我发的帖子已经转发了三千次。", "media_exposure"),
        ("我们楼有五六户都在你们这团的鸡蛋，都是臭的。", "group_complaint"),
        ("我们单元十几户都订了你们的大米，全都有虫。", "group_complaint"),
        ("公司二十多个人都吃了你们的盒饭，下午都不舒服。", "group_complaint"),
        ("已经有多名顾客反映你们的熟食有异味。", "group_complaint"),
    ],
)
def test_hospital_choking_online_spread_and_many_households_make_a_case_red(text, family):
    assert family in codes(text)
    assert triage_text(text=text, use_model=False).level == "red"


def test_pain_negated_inside_the_phrase_is_not_harm():
    assert "health_harm" not in codes("喝完以后肚子不疼，就是觉得味道怪")


# Also: clause punctuation put inside a keyword to dodge the filter.
@pytest.mark.parametrize("text", ["我要把你们曝，光", "我已经报、警了", "再不处理就去消。协"])
def test_clause_punctuation_inside_a_keyword_is_a_dodge(text):
    assert triage_text(text=text, use_model=False).level == "red"


@pytest.mark.parametrize("text", ["我不会曝，光的", "没必要报、警，换一个就行"])
def test_negation_still_reads_the_clauses_of_a_dodged_keyword(text):
    assert triage_text(text=text, use_model=False).level == "blue"


def test_the_evidence_of_a_dodged_keyword_quotes_the_customers_characters():
    result = triage_text(text="我要把你们曝，光", use_model=False)

    assert result.reasons[0]["evidence"] == ["曝，光"]


def test_english_evidence_quotes_the_customers_words_not_the_lower_cased_form():
    result = triage_text(text="I will SUE you and call the Police", use_model=False)

    assert result.reasons[0]["evidence"] == ["SUE you", "Police"]


# End-to-end QA, item 1: high-risk phrasings the second edition read as blue (third edition).
@pytest.mark.parametrize(
    ("text", "family"),
    [
        # the four texts QA found
        ("顾客在抖音发了视频，已经有几千个点赞", "media_exposure"),
        ("宝宝喝了奶粉后起了红疹子", "health_harm"),
        ("两岁的孩子误食了干燥剂", "health_harm"),
        ("客户威胁要在店里闹事", "extreme_threat"),
        # their families: counts of likes, shares and views; posting on a platform
        ("视频已经有3000多个赞了", "media_exposure"),
        ("我拍的视频两万多播放", "media_exposure"),
        ("点赞已经过万了，你们看着办", "media_exposure"),
        ("那条帖子的转发数已经五百多", "media_exposure"),
        ("我在小红书上晒了你们的发霉面包", "media_exposure"),
        ("My post already has thousands of likes", "media_exposure"),
        # rashes, allergic reactions, bumps on the body, swallowing what is not food
        ("吃完海鲜全身出疹，医生说是荨麻疹", "health_harm"),
        ("喝了果汁以后出现过敏反应", "health_harm"),
        ("女儿吃了你们的蛋糕，脸上起了好多小包", "health_harm"),
        ("老人误吞了包装里的塑料片", "health_harm"),
        ("吃了你们的凉皮后闹肚子", "health_harm"),
        ("My son got a rash after the ice cream", "health_harm"),
        # making trouble in the store
        ("他说明天带人去你们店里闹", "extreme_threat"),
        ("顾客在门店大闹了一场，还砸东西", "extreme_threat"),
    ],
)
def test_already_viral_posts_rashes_swallowed_objects_and_trouble_in_the_store_are_red(
    text, family
):
    result = triage_text(text=text, use_model=False)

    assert family in [r["code"] for r in result.reasons]
    assert result.level == "red"


@pytest.mark.parametrize(
    "text",
    [
        "点赞你们的服务",
        "给你们点一百个赞，店员很耐心",
        "本来想在微博上给你们点赞的，结果奶茶少放了珍珠",
        "在抖音发现你们家的新品，就来店里买了",
        "这个红薯有点红",
        "我们一起包饺子用的面粉有点潮",
        "罐头盖子起包了，没敢打开",
        "干燥剂袋子上写着请勿误食",
        "排队太久耽误吃饭",
        "孩子闹着要吃冰淇淋",
        "店里闹哄哄的，吃饭都听不清",
        "我不会去闹事的，只是希望改进",
    ],
)
def test_look_alikes_of_the_third_edition_stay_blue(text):
    result = triage_text(text=text, use_model=False)

    assert (result.level, result.reason_text) == ("blue", result.reason_text)
    assert not {"media_exposure", "health_harm", "extreme_threat"} & set(codes(text))


def test_making_a_matter_bigger_is_still_not_an_extreme_threat():
    # 把事情闹大 is a threat to escalate (yellow, with the rest), not trouble in the store.
    assert "extreme_threat" not in codes("我不想把事情闹大，但你们卖过期的东西必须赔偿")
