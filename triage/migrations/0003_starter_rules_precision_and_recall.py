"""Starter rules, second edition (review of issue 5).

Precision: bare numbers no longer make a case red (`会员价120`, `等了120分钟`, a phone number holding
`12345`, an order number holding `12315`): 110/120 need a call verb or the ambulance next to them and
hotline numbers need digit boundaries. Single words that ordinary complaints use are narrowed
(全网, 相关部门, 横幅, 拼命, 动手, 全家都, 邻居也, 小区都, 吐了 as slang, 发烧 as the reason for an
order, 生的 inside 发生的/学生的, 过期 on a coupon, 塑料 on the packaging) and praise (夸, 表扬, 点赞…)
cancels a social-media mention.

Recall: hospital and clinic words (在医院, 保健院, 门诊, 打吊瓶…), choking (噎住, 卡在喉咙…), pain
words (绞痛, 腹痛), online spread happening (网友…, 转发量, 上热门, 热榜, 都在骂, 传开了) and
numbers of households or customers (五六户都, 十几个人都, 多名顾客).

Only the starter signals are touched, and only where they still exist: a pattern a supervisor
removed is not brought back by name, and patterns added in the admin are left alone. The rule set
gets one new version and its snapshot, as an edit in the admin would.
"""

from django.db import migrations
from django.db.models import F
from django.utils import timezone

# Digits next to a hotline number belong to another number (a phone, an order, a price).
_HOTLINES = r"(?<![0-9])(?:12315|12345|12331)(?![0-9])"
_CALL = r"(?:打|拨|叫|呼|报|call|called|calling)(?:了|过|个|了个)?"
# 过期 on a coupon, points or a membership is not spoiled food.
_NOT_FOOD_EXPIRY = "".join(
    f"(?<!{owner}{filler})"
    for owner in ("券", "积分", "会员", "卡")
    for filler in ("", "都", "已", "已经", "快")
)

CHANGES = {
    "health_harm": {
        "remove": ["吐了", "发烧", "发高烧", "急诊", "看急诊", r"(?<![0-9])120(?![0-9])"],
        "zh": [
            # vomiting, without the slang "我吐了" / "无语吐了"
            "吃*吐了", "喝*吐了", "就吐了", "吐了一", "吐了好几", "开始吐", "又吐", "吐得",
            "一直在吐", "吐个不停",
            # a fever caused by the food, not a fever that is the reason for an order
            "吃*发烧", "喝*发烧", "后*发烧", "就发烧", "开始发烧", "发起了烧", "发了烧",
            "发烧*拉肚子", "发烧*吐",
            # hospitals and clinics
            "医院*躺", "医院*观察", "医院*打针", "进了医院", "住进*医院", "社区医院",
            "儿童医院", "保健院", "妇幼", "打吊瓶", "吊水", "吊针", "观察室", "抢救",
            "医生说*吃", "医生诊断", "抗过敏",
            # pain
            "绞痛", "腹痛",
            # choking
            "噎住", "噎着", "噎到", "卡*喉咙", "卡*嗓子", "鱼刺卡", "差点没救", "没救过来",
            "海姆立克",
        ],
        "en": [
            "clinic", "ambulance", "choked", "choking", "urgent care", "hospitalized",
            "hospitalised", "a&e", "stomach cramps",
        ],
        "regex": [
            # 在医院 / 人在医院, but not 在医院门口的分店 or 我在医院上班
            r"在[^|在]{0,3}医院(?![^|]{0,2}(?:旁边|门口|对面|附近|楼下|隔壁|边上|上班|工作|值班))",
            r"急诊(?!科?(?:上班|工作|值班))",
            r"门诊(?!部?(?:上班|工作|值班))",
            rf"{_CALL}120(?![0-9])",
            r"(?<![0-9第])120(?:急救|救护|来了|拉走)",
            r"(?:急救|救护车)[^|]{0,4}(?<![0-9])120(?![0-9])",
            # 肚子一直疼, but not 肚子不疼 (a wildcard would swallow the negation)
            r"肚子(?:一直|有点|好|很|特别|非常|剧烈|开始|还在|又|都|也)(?:疼|痛)",
        ],
    },
    "media_exposure": {
        "remove": ["全网", "媒体"],
        "zh": [
            "全网曝光", "发到全网", "全网都知道", "上热门", "上了热门", "热门榜", "热榜",
            "都在骂", "网上*骂", "网上都在", "网上*传", "传开了", "传遍", "转发量", "被转发",
            "网友*转发", "网友*骂", "网友*评论", "网友都在", "网友纷纷", "评论区*骂",
            "评论区*都在", "评论里*骂", "评论里*都在", "播放量", "阅读量",
        ],
        "en": ["went viral", "comments are full"],
        "regex": [
            r"(?<!社交)媒体(?!账号|帐号)",
            r"转发(?:了)?(?:[0-9]+|[一二三四五六七八九十百千万几好]+)[次条个遍千万]",
        ],
        "exclude_add": ["夸", "表扬", "好评", "安利", "称赞", "praise"],
    },
    "legal_action": {
        "remove": [r"(?<![0-9])110(?![0-9])"],
        "zh": ["法务"],
        "regex": [rf"{_CALL}110(?![0-9])", r"(?<![0-9第])110(?:出警|民警|来了)"],
        # the police helping a lost child is not legal action against the store
        "exclude_add": ["警察叔叔", "走失", "走丢"],
    },
    "regulator": {
        "remove": ["12315", "12345", "12331", "有关部门", "相关部门"],
        "zh": [
            "有关部门*投诉", "有关部门*举报", "有关部门*反映", "投诉*有关部门", "举报*有关部门",
            "反映*有关部门", "向*有关部门", "找*有关部门", "相关部门*投诉", "相关部门*举报",
            "相关部门*反映", "投诉*相关部门", "举报*相关部门", "反映*相关部门", "向*相关部门",
        ],
        "regex": [_HOTLINES],
    },
    "group_complaint": {
        "remove": ["全家*都", "邻居*也", "小区*都", "好几家"],
        "zh": [
            "邻居*也*买", "邻居*也*吃", "邻居*也*喝", "邻居家*也", "邻居*都*买", "邻居*都*吃",
            "小区*都*买", "小区*都*吃", "小区*好几", "小区*好多人", "好几家人", "好几家邻居",
            "好几户", "多名顾客", "多位顾客", "多名消费者", "不少顾客", "多户",
        ],
        "regex": [
            # households: 五六户都…, 两家邻居也…, 十几个家长都…
            r"(?:[0-9]+|[两三四五六七八九十几]+|好几|好多|很多|不少)(?:个|位|名)?"
            r"(?:户|家人|户人家|家邻居|住户|邻居|家长|业主)[^|]{0,6}?(?:都|也|全)",
            # people: only many of them (三个人 may be one family, 十几个人 is not)
            r"(?:[1-9][0-9]+|十几|几十|二十几|二十多|三十多|好多|很多|不少)(?:个|位|名)?"
            r"(?:人|顾客|同事|消费者|客人)[^|]{0,6}?(?:都|也|全)",
        ],
    },
    "extreme_threat": {
        "remove": ["横幅", "拼命", "动手", "打人"],
        "zh": [
            "动手打", "要打人", "打了人", "跟你们拼了", "和你们拼了", "跟你们拼命", "和你们拼命",
            "拉条幅", "挂条幅",
        ],
        "regex": [
            r"(?:拉|挂|打|举|扯|带|拿)(?:着|了|个|上|起)?一?(?:条|幅|个)?横幅",
            r"打人(?![工民])",
        ],
    },
    "food_quality": {
        "remove": ["生的", "过期"],
        "zh": ["是生的", "还生的", "半生", "夹生", "没煮熟", "没烤熟", "没炸熟", "是烂的", "烂掉"],
        "regex": [f"{_NOT_FOOD_EXPIRY}过期"],
    },
    "foreign_object": {
        "remove": ["塑料"],
        "regex": [r"塑料(?!袋|包装|盒|瓶|杯|盖|吸管|椅|筐|篮|餐具|叉|勺|托盘|提手)"],
    },
}


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _snapshot(apps, version):
    """The rules as `triage.services.ruleset_snapshot_store` keeps them."""
    RuleSet = apps.get_model("triage", "RuleSet")
    Signal = apps.get_model("triage", "Signal")
    Pattern = apps.get_model("triage", "Pattern")
    ruleset = RuleSet.objects.get(pk=1)
    patterns = {}
    for row in Pattern.objects.filter(is_active=True).order_by("id"):
        patterns.setdefault(row.signal_id, []).append(
            {"text": row.text, "kind": row.kind, "language": row.language}
        )
    signals = [
        {
            "code": s.code,
            "name": s.name,
            "min_level": s.min_level,
            "weight": s.weight,
            "source": s.source,
            "patterns": patterns.get(s.pk, []),
            "negatable": s.negatable,
            "exclude_context": _lines(s.exclude_context),
            "context_window": s.context_window,
            "threshold": float(s.threshold) if s.threshold is not None else None,
            "only_with": [c.strip() for c in s.only_with.split(",") if c.strip()],
            "category": s.category,
        }
        for s in Signal.objects.filter(is_active=True).order_by("order", "code")
    ]
    return {
        "version": version,
        "signals": signals,
        "negation_cues": _lines(ruleset.negation_cues),
        "retraction_cues": _lines(ruleset.retraction_cues),
        "negation_window": ruleset.negation_window,
        "yellow_score": ruleset.yellow_score,
        "red_score": ruleset.red_score,
        "model_min_probability": ruleset.model_min_probability,
        "repeat_window_days": ruleset.repeat_window_days,
    }


def apply_changes(apps, schema_editor):
    RuleSet = apps.get_model("triage", "RuleSet")
    Signal = apps.get_model("triage", "Signal")
    Pattern = apps.get_model("triage", "Pattern")
    RuleSetSnapshot = apps.get_model("triage", "RuleSetSnapshot")
    if not RuleSet.objects.filter(pk=1).exists():
        return
    for code, change in CHANGES.items():
        signal = Signal.objects.filter(code=code).first()
        if signal is None:
            continue
        Pattern.objects.filter(signal=signal, text__in=change.get("remove", [])).delete()
        wanted = (
            [(t, "keyword", "zh") for t in change.get("zh", [])]
            + [(t, "keyword", "en") for t in change.get("en", [])]
            + [(t, "regex", "zh") for t in change.get("regex", [])]
        )
        for text, kind, language in wanted:
            Pattern.objects.get_or_create(
                signal=signal, text=text, language=language, defaults={"kind": kind}
            )
        if change.get("exclude_add"):
            terms = _lines(signal.exclude_context)
            terms += [t for t in change["exclude_add"] if t not in terms]
            signal.exclude_context = "\n".join(terms)
            signal.save(update_fields=["exclude_context"])
    now = timezone.now()
    RuleSet.objects.filter(pk=1).update(version=F("version") + 1, updated_at=now)
    version = RuleSet.objects.get(pk=1).version
    RuleSetSnapshot.objects.get_or_create(
        version=version, defaults={"rules": _snapshot(apps, version)}
    )


class Migration(migrations.Migration):
    dependencies = [("triage", "0002_starter_rules")]
    operations = [migrations.RunPython(apply_changes, migrations.RunPython.noop)]
