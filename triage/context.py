"""Context: whether a matched cue is really said of this complaint, or only mentioned.

Contract (pure: strings in, a verdict out; no database, no clock):

`read_context(cues, norm, start, end)` looks at one match (`compact[start:end]` of a
`NormalizedText`) and returns `None` when it stands, or a `Dismissal` naming the family that
dismissed it and the cue that did. The families, in the order they are checked:

- `negated`: a negation cue shortly before, in the same clause (`不会去曝光`, `没有拉肚子`), or a
  retraction right after (`曝光就算了`);
- `conditional`: a condition before it, in its clause or the one before (`万一孩子吃了…`,
  `要是老人吃了，牙都得崩了`). Escalation signals are exempt: a condition is how a threat is
  made (`如果今天不处理，我就发到网上`);
- `hypothetical`: fear, a near miss or an intention given up, before it in its clause or the one
  before (`怕吃了拉肚子`, `差点`, `幸好`, `本来想找记者`), or a fearful ending (`…怎么办`);
- `question`: a rhetorical question (`你们是想让我吃进医院吗？`): a rhetorical cue before the match
  in a clause that ends as a question. A plain question that states a fact (`你知道我儿子吐了三次
  吗？`) stands;
- `quoted`: inside quotation marks introduced as what a label, an advert or someone says
  (`包装上写着“吃了会过敏者慎用”`);
- `other_person`: hearsay or another shop (`听说`, `网上说`, `别家`, `上次在别的超市`).

Between the cue and the match, a *breaker* (`但`, `结果`, `已经`, `真的` …) turns it back into a
statement (`本来怕拉肚子，结果真的拉了`). Unrelated-context terms are per signal (see the engine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triage.normalize import CLAUSE_MARK, NormalizedText

NEGATED = "negated"
CONDITIONAL = "conditional"
HYPOTHETICAL = "hypothetical"
QUESTION = "question"
QUOTED = "quoted"
OTHER_PERSON = "other_person"
UNRELATED = "unrelated"
FAMILIES = (NEGATED, CONDITIONAL, HYPOTHETICAL, QUESTION, QUOTED, OTHER_PERSON)

# Phrases that contain a cue's characters without being one.
_NOT_CUES = (
    "没想到", "没多久", "没一会", "没过多久", "没几分钟", "没几天", "不一会", "没办法", "不得不",
    "不到", "没到", "没人", "没有人", "不管", "不然", "要不", "不行", "不好", "不少", "不止",
    "别以为", "别说", "别怪", "不敢相信", "不舒服", "不对劲", "不停", "不断", "不了", "受不了",
    "不知道", "不清楚", "不新鲜",
    # "Don't push me into ...": a threat, not a negation ("别逼我去曝光", "不要逼我发微博").
    "别逼", "不要逼", "不要再逼", "别再逼", "别让我", "不要让我", "别等我", "不要等我", "别想",
    # fear words that are not fear of what follows
    "可怕", "哪怕", "恐怕", "不怕", "害怕的是", "如果不", "要是不", "万一不",
    # "but", "not only", "not as good as": no negation of what follows
    "不过", "不但", "不仅", "不光", "不如", "要不然", "不管怎样", "信不信", "行不行", "是不是",
    "要不要", "能不能", "会不会", "有没有", "对不对",
)  # fmt: skip
# Between a negation cue and the match, these mean the threat is conditional, i.e. still a threat
# ("别再逼我曝光", "不处理就曝光").
_NEGATION_BREAKERS = ("就", "才", "但", "可是", "否则", "再", "逼", "直接", "立刻", "马上", "我要")
# A one-character cue (不, 没, 别) negates only what follows closely: "没剥干净卡嗓子" is a fact.
_SHORT_CUE_REACH = 3
# After a fear or condition, these mean the clause states a fact after all.
_FACT_BREAKERS = (
    "但", "可是", "结果", "已经", "真的", "果然", "还是", "居然", "竟然", "现在", "后来",
)  # fmt: skip
_CLAUSE_END = re.compile(r"[|?!]")
_QUESTION_END = re.compile(r"(?:吗|么|嘛|呢|不成|\?)+$")
_QUOTE_OPEN = "“「『\"《‘'"
_QUOTE_CLOSE = "”」』\"》’'"
_QUOTE_LABEL = re.compile(
    r"(?:写着|写的|标着|标的|印着|印的|宣传|广告|提示|说明|号称|标语|口号|说|叫|写)\s*[:：]?\s*$"
)


@dataclass(frozen=True)
class ContextCues:
    """The cue words of each family, as normalised text (the rule set's data)."""

    negation: tuple[str, ...] = ()
    retraction: tuple[str, ...] = ()
    conditional: tuple[str, ...] = ()
    hypothetical: tuple[str, ...] = ()
    hypothetical_endings: tuple[str, ...] = ()
    rhetorical: tuple[str, ...] = ()
    other_person: tuple[str, ...] = ()
    negation_window: int = 6
    scope_window: int = 14
    _compiled: dict = field(default_factory=dict, compare=False, repr=False)

    def regex(self, family: str) -> re.Pattern | None:
        if family not in self._compiled:
            words = sorted({w for w in getattr(self, family) if w}, key=len, reverse=True)
            self._compiled[family] = re.compile("|".join(map(re.escape, words))) if words else None
        return self._compiled[family]


@dataclass(frozen=True)
class Dismissal:
    family: str
    cue: str


_NOT_CUES_RE = re.compile("|".join(map(re.escape, _NOT_CUES)))


def _blank(text: str) -> str:
    return _NOT_CUES_RE.sub(lambda m: "#" * len(m.group()), text)


def _cue_before(
    regex: re.Pattern | None, prefix: str, breakers=_FACT_BREAKERS, *, short_reach: int = 0
) -> str | None:
    """The last cue in `prefix` with no breaker between it and the match (a one-character cue
    only within `short_reach` characters, when given)."""
    if regex is None or not prefix:
        return None
    prefix = _blank(prefix)
    found = None
    for cue in regex.finditer(prefix):
        between = prefix[cue.end() :]
        if short_reach and len(cue.group()) == 1 and len(between) > short_reach:
            continue
        if not any(b in between for b in breakers):
            found = cue.group()
    return found


def _clause(text: str, start: int, end: int, window: int, *, clauses: int = 1) -> tuple[str, str]:
    """The text before the match within `clauses` clauses (at most `window` characters), and
    the rest of its clause after it."""
    lo = max(0, start - window)
    clause_start = start
    for _i in range(clauses):
        clause_start = text.rfind(CLAUSE_MARK, lo, clause_start)
        if clause_start < 0:
            break
    clause_start += 1
    prefix = text[max(clause_start, lo) : start]
    # `?` and `!` stay as themselves in the compact form (shouting is a signal); they end a clause.
    found = _CLAUSE_END.search(text, end, end + 40)
    suffix = text[end : found.start() + (found.group() != CLAUSE_MARK) if found else end + 40]
    return prefix, suffix


def _quoted(norm: NormalizedText, start: int) -> str | None:
    """The label before an open quotation mark that the match sits inside, if any."""
    if not norm.positions:
        return None
    original = norm.original
    at = norm.positions[start]
    lo = max(0, at - 30)
    window = original[lo:at]
    opened = max(window.rfind(q) for q in _QUOTE_OPEN)
    if opened < 0:
        return None
    closed = max(window.rfind(q) for q in _QUOTE_CLOSE if q not in "\"'")
    if closed > opened:
        return None
    label = _QUOTE_LABEL.search(original[max(0, lo + opened - 8) : lo + opened])
    return label.group().strip() if label else None


def read_context(
    cues: ContextCues,
    norm: NormalizedText,
    start: int,
    end: int,
    *,
    exempt: frozenset = frozenset(),
    gaps: str = "",
) -> Dismissal | None:
    """`gaps`: the text a `*` pattern let through between its words (`没有被` of `日期没有被改过`
    for 日期*改); the pattern's own words are never read as cues (`活不下去` is not negated by
    its 不)."""
    text = norm.compact
    if NEGATED not in exempt:
        prefix, suffix = _clause(text, start, end, cues.negation_window)
        cue = _cue_before(
            cues.regex("negation"), prefix, _NEGATION_BREAKERS, short_reach=_SHORT_CUE_REACH
        )
        # ... or in a gap of a `*` match ("日期没有被改过" for 日期*改, "肚子不疼" for 肚子*疼)
        inside = _blank(gaps) if gaps else ""
        found = cues.regex("negation").search(inside) if inside and cues.regex("negation") else None
        if cue or found:
            return Dismissal(NEGATED, cue or found.group())
        retraction = cues.regex("retraction")
        found = retraction.search(suffix[: cues.negation_window + 2]) if retraction else None
        if found and found.start() <= 3:
            return Dismissal(NEGATED, found.group())
    # A condition or a fear reaches into the next clause ("要是老人吃了，牙都得崩了").
    wide, _rest = _clause(text, start, end, cues.scope_window + 10, clauses=2)
    prefix, suffix = _clause(text, start, end, cues.scope_window)
    if CONDITIONAL not in exempt:
        cue = _cue_before(cues.regex("conditional"), wide)
        if cue:
            return Dismissal(CONDITIONAL, cue)
    if HYPOTHETICAL not in exempt:
        cue = _cue_before(cues.regex("hypothetical"), wide)
        if cue:
            return Dismissal(HYPOTHETICAL, cue)
        endings = cues.regex("hypothetical_endings")
        found = endings.search(_blank(suffix)) if endings else None
        if found and not any(b in suffix[: found.start()] for b in _FACT_BREAKERS):
            return Dismissal(HYPOTHETICAL, found.group())
    if QUESTION not in exempt:
        cue = _cue_before(cues.regex("rhetorical"), prefix)
        if cue and _QUESTION_END.search(suffix.rstrip("!")):
            return Dismissal(QUESTION, cue)
    if QUOTED not in exempt:
        label = _quoted(norm, start)
        if label:
            return Dismissal(QUOTED, label)
    if OTHER_PERSON not in exempt:
        cue = _cue_before(cues.regex("other_person"), wide)
        if cue:
            return Dismissal(OTHER_PERSON, cue)
    return None
