"""Starter rules, third edition (end-to-end QA): high-risk phrasings the second edition missed.

- Media exposure that already happened: counts of likes, shares and views (`已经有几千个点赞`,
  `两万多播放`, `点赞已经过万`, `thousands of likes`) and a post on a platform written the other
  way round (`在抖音发了视频`, not only `发到抖音`). A count needs a real number (two digits, or
  十/百/千/万), and not right after 给/点/们, so praise (`给你们点一百个赞`, `点赞你们的服务`) stays
  out; `发现`, `发货`, `发的券` after the platform are shopping, not posting.
- Health harm: rashes and allergic reactions (`起了红疹子`, `皮疹`, `荨麻疹`, `过敏反应`), bumps
  on the body (`身上起了很多包`, but not `一起包饺子` or a can's lid), `闹肚子`, and swallowing
  what is not food (`误食`, `误吞`, `误服`), but not the warning printed on a sachet (`请勿误食`,
  `防止误食`) nor `耽误吃饭` / `错误服务`.
- Extreme threats: making trouble in the store (`闹事`, `大闹`, `去你们店里闹`, `上门闹`,
  `砸东西`), but not a child making a fuss (`孩子闹着要…`), a noisy store (`店里闹哄哄`), mice in
  the store (`店里闹老鼠`) or `把事情闹大` (a threat to escalate: yellow, as before).

Like the second edition: only the starter signals are touched, only where they still exist, a
pattern already there is left as it is, and the rule set gets one new version and its snapshot.
"""

from django.db import migrations
from django.db.models import F
from django.utils import timezone

# A number of likes/views big enough to mean public spread: two digits or more, or a magnitude.
_COUNT = (
    r"(?:[0-9]{2,}|[0-9]+(?:[万千百]|w|k)|[0-9一二两三四五六七八九几好多上数成]*[十百千万]+|十几|几十)"
    r"(?:多|余|来)?"
)
_ENGAGEMENT = r"(?:点赞|转发|分享|播放|浏览|阅读|观看|围观)"
_PLATFORM = r"(?:微博|抖音|小红书|快手|朋友圈|视频号|b站|头条|知乎)"
# After the platform: shopping (发现, 发货, 发的券, 发票) and the store's own posts (发的…).
_NOT_POSTING = r"(?!的|现|票|货|财|放|送|给|起|生|展|出|布会)"
# Where a sachet or a parent warns against it, or a word that only contains the characters.
_NOT_SWALLOWED = (
    r"(?<!防止)(?<!以防)(?<!请勿)(?<!谨防)(?<!小心)(?<!避免)(?<!不要)(?<!以免)(?<!严禁)"
    r"(?<!禁止)(?<!防)(?<!勿)(?<!耽)(?<!错)(?<!失)(?<!延)"
)
_BODY = r"(?:身上|脸上|手上|嘴上|嘴巴|嘴唇|皮肤|全身|浑身|脖子|胳膊|腿上|背上|屁股|肚皮)"
# 闹 after a place: trouble, unless it is noise, mice, a quarrel or a fuss of a child.
_NOT_TROUBLE = (
    r"(?!哄|腾|得|心|钟|着|肚子|别扭|脾气|情绪|笑话|矛盾|老鼠|耗子|虫|鬼|饥荒|市|大|过|的|了半天)"
)

CHANGES = {
    "media_exposure": {
        "zh": [],
        "en": [],
        "regex": [
            # 几千个点赞, 两万多播放, 3000个赞 (a bare 赞 needs 个), not 给你们点一百个赞
            rf"(?<![给点们0-9一二两三四五六七八九十几好多上数成百千万]){_COUNT}(?:个|条|次|人)?{_ENGAGEMENT}",
            rf"(?<![给点们0-9一二两三四五六七八九十几好多上数成百千万]){_COUNT}个赞",
            # 点赞数已经两千多, 播放量破十万, 点赞已经过万
            rf"{_ENGAGEMENT}(?:量|数|次数)(?:已经|都|已|快|就)?(?:有|达到|到了|到|超过|超|过|破|上|是)?了?{_COUNT}",
            rf"{_ENGAGEMENT}(?:已经|都|已|快|就)?(?:超过|过|破|上|有|达到|到了)了?"
            r"(?:[0-9]+|[一二两三四五六七八九十几好多数]*)(?:[千万]|w|k)",
            # 在抖音发了视频, 小红书上晒了, 朋友圈发了 (发到抖音 / 发*抖音 were already there)
            rf"{_PLATFORM}(?:上|里)?(?:发布|发|晒|挂|曝)(?:了|过)?{_NOT_POSTING}",
        ],
        "regex_en": [
            r"(?<![^\s|])(?:[0-9]{2,}|[0-9]+k|hundreds|thousands|millions)\s+(?:of\s+)?"
            r"(?:likes|shares|views|retweets|reposts)(?![^\s|])",
        ],
    },
    "health_harm": {
        "zh": ["疹子", "红疹", "皮疹", "荨麻疹", "起疹", "出疹", "过敏反应", "闹肚子"],
        "en": ["rash", "hives", "accidentally swallowed", "accidentally ate"],
        "regex": [
            rf"{_NOT_SWALLOWED}误(?:食|吞|服(?!务)|喝|吃)",
            rf"{_BODY}[^|]{{0,4}}?(?<![一对不])起了?(?:很多|好多|一身|一片|一堆|一些|几个|好几个)?"
            r"(?:小|红|大)?包(?!装|子|裹|邮|厢|间|括|含|容|袋)",
        ],
    },
    "extreme_threat": {
        "zh": ["闹事", "大闹", "上门闹", "砸东西", "砸你们", "把*店砸", "店给砸"],
        "regex": [
            rf"(?:店里|店门口|门店|门口|店内|你们店|店|总部|公司)(?:去|来)?闹{_NOT_TROUBLE}",
        ],
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
        wanted = (
            [(t, "keyword", "zh") for t in change.get("zh", [])]
            + [(t, "keyword", "en") for t in change.get("en", [])]
            + [(t, "regex", "zh") for t in change.get("regex", [])]
            + [(t, "regex", "en") for t in change.get("regex_en", [])]
        )
        for text, kind, language in wanted:
            Pattern.objects.get_or_create(
                signal=signal, text=text, language=language, defaults={"kind": kind}
            )
    RuleSet.objects.filter(pk=1).update(version=F("version") + 1, updated_at=timezone.now())
    version = RuleSet.objects.get(pk=1).version
    RuleSetSnapshot.objects.get_or_create(
        version=version, defaults={"rules": _snapshot(apps, version)}
    )


class Migration(migrations.Migration):
    dependencies = [("triage", "0005_triagerun_case_number_and_outcome_labels")]
    operations = [migrations.RunPython(apply_changes, migrations.RunPython.noop)]
