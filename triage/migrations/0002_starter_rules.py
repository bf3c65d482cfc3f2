"""The starter rule set covering the rubric (red / yellow / blue), and who may use triage.

Patterns are keywords: `*` means "anything in between, within the same clause". English patterns
are matched on whole words. Everything here is editable in the admin afterwards.
"""

from django.db import migrations

from core.permissions import grant_permissions

NEGATION_CUES = [
    "不会", "不想", "不打算", "没打算", "不准备", "没准备", "无意", "并不想", "不是要", "不是想",
    "不用", "不需要", "没必要", "不必", "没有", "没", "并没", "并未", "未曾", "别", "不要", "不去",
    "不愿", "暂不", "暂时不", "也不会", "还不至于", "不至于", "谈不上", "不算",
]  # fmt: skip
RETRACTION_CUES = ["就算了", "算了", "不至于", "没必要", "倒不必", "不必了", "就不用了", "也没用"]

RED, YELLOW, BLUE = "red", "yellow", "blue"
JOKES = ["开玩笑", "哈哈", "好吃到", "好喝到", "笑死", "夸张", "玩笑", "开个玩笑", "joking", "lol"]

# code, name, min_level, weight, category, patterns (zh), patterns (en), options
SIGNALS = [
    (
        "health_harm", "健康损害", RED, 60, "food_safety",
        [
            "拉肚子", "拉稀", "腹泻", "呕吐", "吐了", "上吐下泻", "又吐又拉", "食物中毒", "中毒",
            "去医院", "去了医院", "进医院", "送医院", "送医", "住院", "急诊", "挂水", "输液",
            "打点滴", "看医生", "看急诊", "就医", "医院*检查", "医院*诊断", "诊断为", "病历",
            "医药费", "医疗费", "药费", "过敏", "起疹子", "起红疹", "肚子疼", "肚子痛", "胃疼",
            "胃痛", "肠胃炎", "发烧", "发高烧", "头晕*恶心", "恶心*想吐", "吃坏*肚子", "吃出*病",
            "喉咙*肿", "嘴*肿", "休克", "不省人事", "卫生院", "诊所", "一直吐", "吐了*次", "干呕",
            "感染", "诊断书", "洗胃", "救护车", "窒息", "卡住*喉咙",
        ],
        [
            "food poisoning", "diarrhea", "diarrhoea", "vomit", "vomiting", "vomited", "threw up",
            "hospital", "emergency room", "allergic reaction", "allergic", "got sick", "stomach ache",
            "stomachache", "medical bill", "medical bills", "doctor",
        ],
        {
            "exclude": ["万一", "会不会", "可能会", "担心*会", "怕*会", "以免", "免得", "吐槽", "in case"],
            "window": 6,
            "regex": [r"(?<![0-9])120(?![0-9])"],
        },
    ),
    (
        "injury", "人身伤害", RED, 60, "in_store_safety",
        [
            "划伤", "割伤", "割破", "划破", "扎伤", "扎破", "扎到嘴", "扎到手", "扎嘴", "硌掉*牙",
            "硌坏*牙", "崩了*牙", "牙*崩", "牙*硌", "牙齿*断", "受伤", "摔倒", "滑倒", "摔伤",
            "砸到", "砸伤", "烫伤", "流血", "出血", "骨折", "缝针", "缝了", "伤口", "嘴*划",
            "手*划", "磕破", "夹伤", "咬破*嘴", "扎到", "划了*口子", "割了*口子", "淤青", "血泡",
        ],
        ["injured", "injury", "cut my", "slipped", "bleeding", "broke my tooth", "broken tooth", "burned"],
        {"exclude": ["差点", "险些", "幸好没", "还好没"]},
    ),
    (
        "media_exposure", "媒体曝光", RED, 60, "",
        [
            "曝光", "媒体", "记者", "电视台", "报社", "上新闻", "新闻热线", "热搜", "发微博",
            "发*微博", "微博*曝光", "挂*微博", "上微博", "微博上*发", "发抖音", "发*抖音", "抖音*曝光",
            "拍*抖音", "发小红书", "发*小红书", "小红书*曝光", "发朋友圈", "发*朋友圈", "朋友圈*曝光",
            "发到网上", "发网上", "挂到网上", "挂网上", "放到网上", "网上*曝光", "让大家*看看",
            "让全网", "全网", "自媒体", "视频号", "发快手", "发*快手", "舆论", "大V", "博主",
            "拍了视频", "录了视频*发", "小红书上发", "微博上发", "抖音上发", "网上发", "发了笔记",
            "发*帖子", "门口直播", "现场直播", "开直播",
        ],
        [
            "journalist", "reporter", "the media", "tv station", "weibo", "douyin",
            "tiktok", "xiaohongshu", "wechat moments", "go viral", "social media", "expose you",
            "post it online", "post this online", "post online",
        ],
        {"exclude": JOKES + ["刷到", "种草", "推荐", "活动", "优惠"]},
    ),
    (
        "legal_action", "法律行动", RED, 60, "",
        [
            "律师", "起诉", "诉讼", "法院", "打官司", "告你们", "告到", "去告", "法律途径",
            "法律手段", "走法律", "报警", "报了警", "派出所", "警察", "公安", "仲裁",
            "法律责任", "立案", "传票",
        ],
        ["lawyer", "attorney", "sue", "sue you", "lawsuit", "court", "police", "legal action"],
        {"exclude": JOKES + ["food court"], "regex": [r"(?<![0-9])110(?![0-9])"]},
    ),
    (
        "regulator", "监管投诉", RED, 60, "",
        [
            "12315", "12345", "12331", "市场监管", "市监局", "市场监督", "工商局", "工商部门",
            "食药监", "食品药品监督", "消协", "消费者协会", "卫生局", "卫健委", "质监", "有关部门",
            "相关部门", "监管部门", "政府部门", "举报", "市长热线", "黑猫投诉",
        ],
        ["consumer association", "market regulator", "market regulation", "authorities", "regulator"],
        {"exclude": JOKES},
    ),
    (
        "group_complaint", "群体投诉", RED, 60, "",
        [
            "不止我一个", "不止我一家", "不只我一个", "好几个人都", "好几家", "好多人都", "很多人都",
            "好几个邻居", "邻居*也", "邻居们", "整栋楼", "整个小区", "小区*好多", "小区*都",
            "业主群", "群里*都", "群里*好多", "大家都*吃", "大家都*买", "一起*投诉", "集体",
            "联名", "我们几家", "几户", "同事*也*吃", "全家*都",
        ],
        ["several customers", "many customers", "my neighbours", "my neighbors", "whole building", "other customers too"],
        {"exclude": ["都说好吃", "都喜欢", "都夸"]},
    ),
    (
        "extreme_threat", "极端行为", RED, 60, "",
        [
            "跳楼", "自杀", "不想活", "活不下去", "拉横幅", "挂横幅", "横幅", "堵门", "堵店",
            "堵你们", "砸店", "砸了*店", "砸了你们", "同归于尽", "弄死", "捅", "拼命", "以死",
            "喝药", "烧了*店", "放火", "打人", "动手", "找人*收拾",
        ],
        ["kill myself", "kill you", "burn down", "block the store", "banner", "hurt someone"],
        {"exclude": JOKES + ["捅破"]},
    ),
    (
        "food_quality", "食品质量", YELLOW, 20, "spoiled_expired",
        [
            "变质", "发霉", "霉斑", "霉点", "长毛", "长霉", "过期", "馊", "发臭", "臭了", "臭味",
            "异味", "发酸", "酸臭", "坏的", "坏掉", "烂了", "腐烂", "发黑", "胀袋", "胀气",
            "鼓包", "不新鲜", "没熟", "生的", "血水", "哈喇味", "过了保质期", "过保质期",
            "超过保质期", "保质期*过了", "日期*过了", "临期", "变味", "怪味", "臭的", "味道怪",
            "氨水味", "血丝", "霉",
        ],
        ["spoiled", "spoilt", "mouldy", "moldy", "expired", "rotten", "gone off", "smells bad", "past its date"],
        {"exclude": ["洗发水", "护发素", "倒霉", "霉运"]},
    ),
    (
        "foreign_object", "异物", YELLOW, 20, "foreign_object",
        [
            "异物", "虫子", "有虫", "活虫", "小虫", "虫卵", "蛆", "苍蝇", "蟑螂", "飞虫", "头发",
            "毛发", "长毛发", "塑料片", "塑料", "铁丝", "钢丝", "玻璃", "碎玻璃", "石子", "石头",
            "沙子", "指甲", "创可贴", "烟头", "螺丝", "金属", "刀片", "碎片", "订书钉", "线头",
            "老鼠", "虫", "纸片", "片纸", "骨头渣", "硬的东西", "黑色的东西",
        ],
        ["foreign object", "insect", "a bug", "bugs", "worm", "a hair", "hair in", "cockroach", "glass in", "piece of glass", "plastic in", "piece of plastic", "metal wire"],
        {
            "exclude": [
                "洗发水", "洗发露", "护发素", "发膜", "假发", "染发", "理发", "吹风机", "梳子",
                "头发掉", "掉头发", "头发干", "头发油", "头发*毛躁", "塑料袋", "玻璃门",
                "玻璃柜", "玻璃瓶装", "杀虫", "驱虫", "金属卡", "虫草", "洗头", "洗完头",
                "shampoo",
            ],
            "window": 14,
        },
    ),
    (
        "repeat_text", "重复投诉", YELLOW, 20, "",
        [
            "又一次", "再次", "第二次", "第三次", "第四次", "第几次", "好几次", "多次", "三番五次",
            "屡次", "上次也", "上次就", "上回也", "投诉过", "反映过", "反馈过", "又出现", "又来",
            "又是这样", "又买到", "又送错", "又坏", "又没", "还是没人", "一直没解决", "一直没人",
            "没人处理", "没人管", "至今没", "到现在都没", "已经*两次", "已经*三次", "了两次",
            "了三次", "好几回", "又一次",
        ],
        ["happened again", "once again", "this again", "second time", "third time", "complained before", "still not resolved", "nobody replied"],
        {"negatable": False},
    ),
    (
        "strong_anger", "强烈情绪", YELLOW, 20, "",
        [
            "垃圾", "骗子", "黑心", "无良", "恶心死", "气死", "他妈", "tmd", "妈的", "傻逼",
            "滚", "去死", "破店", "坑人", "奸商", "太过分", "忍无可忍", "愤怒", "无耻", "混蛋",
            "王八蛋", "缺德", "不要脸", "欺人太甚", "欺负人", "什么玩意", "恶心", "!!!", "火大",
            "特么",
        ],
        ["scam", "scammer", "disgusting", "furious", "outrageous", "rubbish", "garbage", "unacceptable", "wtf"],
        {"regex": [r"(?<![a-z])sb(?![a-z])"], "exclude": ["垃圾袋", "垃圾桶", "垃圾分类", "垃圾食品", "滚烫", "滚动", "恶心想吐", "恶心呕吐", "头晕恶心"]},
    ),
    (
        "compensation", "赔偿诉求", YELLOW, 20, "refund_price",
        [
            "赔偿", "赔钱", "索赔", "赔偿金", "十倍", "退一赔十", "假一赔十", "退一赔三", "三倍",
            "惩罚性", "精神损失", "误工费", "赔我", "补偿", "给个说法", "讨个说法", "要个说法",
        ],
        ["compensation", "compensate", "refund tenfold", "ten times", "punitive damages"],
        {},
    ),
    (
        "complain_further", "扬言继续投诉", YELLOW, 20, "",
        [
            "我要投诉", "要投诉你们", "投诉你们", "继续投诉", "投诉到底", "往上投诉", "向上投诉",
            "总部投诉", "投诉到总部", "找*总部", "找你们领导", "找你们老板", "找你们经理", "找领导",
            "找*上级", "差评", "不会善罢甘休", "走着瞧", "等着瞧", "没完", "维权", "追究",
        ],
        ["complain further", "escalate this", "your manager", "head office", "bad review", "1 star"],
        {"exclude": ["在app", "app里", "app上", "客服*投诉", "已经*投诉", "好评"]},
    ),
    (
        "privacy", "隐私问题", YELLOW, 20, "privacy",
        [
            "泄露", "泄漏", "个人信息", "隐私", "骚扰电话", "骚扰短信", "被人知道", "电话*被*打",
            "地址*被", "号码*被", "信息*卖", "拍*我*照片", "偷拍", "监控*外传", "信息*被",
            "地址*发到", "记录*发给", "号码*发给", "告诉了别人",
        ],
        ["privacy", "personal data", "personal information", "leaked", "spam calls"],
        {},
    ),
    (
        "vulnerable_person", "弱势人群", BLUE, 15, "",
        [
            "孩子", "小孩", "儿子", "女儿", "宝宝", "婴儿", "幼儿", "孕妇", "怀孕", "老人",
            "老人家", "我妈", "我爸", "老母亲", "老父亲", "奶奶", "爷爷", "外婆", "外公", "老太太",
            "老爷子",
        ],
        ["my child", "my kid", "my baby", "pregnant", "elderly", "my son", "my daughter"],
        {"only_with": "health_harm,injury,food_quality,foreign_object", "negatable": False},
    ),
    (
        "delivery", "配送问题", BLUE, 3, "delivery",
        [
            "送晚", "送得晚", "迟到", "超时", "太慢", "配送", "骑手", "送错", "漏送", "少送",
            "没送到", "送到了别", "凉了", "冷了", "化了", "洒了", "撒了", "等了*小时", "晚了*分钟",
            "快递",
        ],
        ["late delivery", "delivery", "courier", "arrived cold", "wrong order", "missing item"],
        {"negatable": False},
    ),
    (
        "price_refund", "价格退款", BLUE, 3, "refund_price",
        ["价格", "价签", "多收", "多扣", "扣款", "退款", "退钱", "优惠券", "会员价", "贵", "差价", "发票"],
        ["price", "overcharged", "refund", "coupon", "receipt"],
        {"negatable": False},
    ),
    (
        "staff_attitude", "服务态度", BLUE, 3, "service_attitude",
        ["态度", "店员", "服务员", "收银员", "爱答不理", "不耐烦", "脸色", "甩脸", "不理人", "凶"],
        ["rude", "attitude", "staff", "cashier"],
        {"negatable": False},
    ),
    (
        "product_taste", "口味包装", BLUE, 3, "product_quality",
        ["难吃", "不好吃", "太咸", "太甜", "太淡", "口感", "味道不对", "包装", "缺货", "没货", "分量", "份量"],
        ["taste", "tasteless", "packaging", "out of stock", "portion"],
        {"negatable": False},
    ),
]

FACT_SIGNALS = [
    # code, name, source, min_level, weight, threshold, patterns (channel codes)
    ("channel_red", "高危渠道", "channel", RED, 60, None, ["media", "regulator", "police_court"]),
    ("channel_social", "社交媒体渠道", "channel", YELLOW, 20, None, ["social_media"]),
    ("repeat_history", "30天内重复投诉", "repeat", YELLOW, 20, 1, []),
    ("high_amount", "涉及金额较高", "amount", YELLOW, 20, 1000, []),
]

ROLE_MATRIX = {
    "store_staff": ["preview_triage"],
    "handler": ["preview_triage", "view_triagerun", "view_signal", "view_pattern", "view_ruleset"],
    "supervisor": [
        "preview_triage", "view_triagerun", "view_ruleset", "change_ruleset",
        "view_signal", "add_signal", "change_signal", "delete_signal",
        "view_pattern", "add_pattern", "change_pattern", "delete_pattern",
        "view_rulesetsnapshot", "view_triagemodel",
    ],
    "legal_pr": ["preview_triage", "view_triagerun", "view_signal", "view_pattern"],
    "manager": ["preview_triage", "view_triagerun", "view_signal", "view_pattern", "view_ruleset"],
}  # fmt: skip


def create_rules(apps, schema_editor):
    RuleSet = apps.get_model("triage", "RuleSet")
    Signal = apps.get_model("triage", "Signal")
    Pattern = apps.get_model("triage", "Pattern")
    RuleSetSnapshot = apps.get_model("triage", "RuleSetSnapshot")
    ruleset = RuleSet.objects.create(
        pk=1,
        name="default",
        version=1,
        negation_cues="\n".join(NEGATION_CUES),
        retraction_cues="\n".join(RETRACTION_CUES),
    )
    snapshot_signals = []
    for order, (code, name, level, weight, category, zh, en, options) in enumerate(SIGNALS):
        signal = Signal.objects.create(
            code=code,
            name=name,
            min_level=level,
            weight=weight,
            category=category,
            source="text",
            order=order * 10,
            negatable=options.get("negatable", True),
            exclude_context="\n".join(options.get("exclude", [])),
            context_window=options.get("window", 12),
            only_with=options.get("only_with", ""),
        )
        Pattern.objects.bulk_create(
            [Pattern(signal=signal, text=t, language="zh") for t in dict.fromkeys(zh)]
            + [Pattern(signal=signal, text=t, language="en") for t in dict.fromkeys(en)]
            + [Pattern(signal=signal, text=t, kind="regex") for t in options.get("regex", [])]
        )
        snapshot_signals.append({"code": code, "min_level": level, "weight": weight, "zh": zh, "en": en, **options})
    for order, (code, name, source, level, weight, threshold, patterns) in enumerate(FACT_SIGNALS):
        signal = Signal.objects.create(
            code=code,
            name=name,
            source=source,
            min_level=level,
            weight=weight,
            threshold=threshold,
            negatable=False,
            order=500 + order * 10,
        )
        Pattern.objects.bulk_create([Pattern(signal=signal, text=t) for t in patterns])
        snapshot_signals.append({"code": code, "source": source, "min_level": level, "weight": weight, "threshold": threshold, "patterns": patterns})
    RuleSetSnapshot.objects.create(
        version=ruleset.version,
        rules={
            "negation_cues": NEGATION_CUES,
            "retraction_cues": RETRACTION_CUES,
            "yellow_score": ruleset.yellow_score,
            "red_score": ruleset.red_score,
            "signals": snapshot_signals,
        },
    )


def grant(apps, schema_editor):
    grant_permissions(apps, "triage", ROLE_MATRIX)


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_rules_runs_models"), ("core", "0002_roles")]
    operations = [
        migrations.RunPython(create_rules, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
