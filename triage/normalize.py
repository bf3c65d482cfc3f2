"""Text normalisation for triage: one canonical form that rules and the model both read.

Contract (pure, no DB, no clock):

- full-width / compatibility forms become their plain form (NFKC: `１２３１５` -> `12315`,
  `ＷＥＩＢＯ` -> `weibo`), then everything is lower-cased;
- traditional characters become simplified ones (`發到微博` -> `发到微博`), character by character
  from OpenCC's table, so that every position still maps back to the customer's own words;
- characters put between others to dodge keyword filters (`曝 光`, `曝*光`, `微-博`, `1 2 3 1 5`)
  are dropped: the *compact* form keeps only letters, digits, CJK and clause punctuation;
- clause punctuation (，。！？；…) is kept as a single `|` so that negation never reaches across a
  clause, and runs of `!`/`?` are kept so that shouting can be seen;
- the *joined* view (`NormalizedText.joined`) also drops clause punctuation put between two
  ideographs (`曝，光`, `报、警`): keywords may be matched there too, while negation keeps reading
  the clauses of the compact form.

`normalize(text)` returns the compact form plus, for each of its characters, the index of the
original character it came from, so evidence can be quoted exactly as the customer wrote it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

CLAUSE_MARK = "|"
# Clause boundaries after NFKC (full-width ，！？；： become their ASCII forms).
_CLAUSE_CHARS = frozenset(",.;:!?\n\r\t。、；：…")
# Shouting is a signal of its own, so these survive as themselves (they also end a clause).
_KEEP_AS_IS = frozenset("!?")
_JOINABLE_MARKS = frozenset(CLAUSE_MARK) | _KEEP_AS_IS


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Traditional -> simplified, one character to one character, from OpenCC's dictionary."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source != target:
            table[ord(source)] = target
    return table


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()  # letters, digits and CJK ideographs in every script


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _dot_between_ideographs(text: str, index: int) -> bool:
    """`曝.光` is a dodge, `Sorry. I` or `。` end a sentence."""
    return 0 < index < len(text) - 1 and _is_cjk(text[index - 1]) and _is_cjk(text[index + 1])


@dataclass(frozen=True)
class NormalizedText:
    original: str
    compact: str  # what Chinese patterns match
    positions: tuple[int, ...]  # compact index -> original index
    # Lower-cased words separated by single spaces, clauses by ` | `: what English patterns match.
    spaced: str
    spaced_positions: tuple[int, ...] = ()  # spaced index -> original index (-1: added space)

    def evidence(self, start: int, end: int) -> str:
        """The customer's own characters behind compact[start:end]."""
        if start >= end:
            return ""
        first = self.positions[start]
        last = self.positions[end - 1]
        return self.original[first : last + 1].strip()

    def spaced_evidence(self, start: int, end: int) -> str:
        """The customer's own words behind spaced[start:end] (not the lower-cased form)."""
        inside = [p for p in self.spaced_positions[start:end] if p >= 0]
        if not inside:
            return self.spaced[start:end]
        return self.original[inside[0] : inside[-1] + 1].strip()

    @cached_property
    def joined(self) -> tuple[str, tuple[int, ...]]:
        """The compact form without clause marks between two ideographs, and for each of its
        characters the compact index it came from: `曝|光` -> `曝光`, but `12|315` stays."""
        text = self.compact
        chars: list[str] = []
        index: list[int] = []
        i = 0
        while i < len(text):
            ch = text[i]
            if ch in _JOINABLE_MARKS and chars and _is_cjk(chars[-1]):
                j = i
                while j < len(text) and text[j] in _JOINABLE_MARKS:
                    j += 1
                if j < len(text) and _is_cjk(text[j]):
                    i = j
                    continue
            chars.append(ch)
            index.append(i)
            i += 1
        return "".join(chars), tuple(index)


def normalize(text: str) -> NormalizedText:
    table = _t2s_table()
    compact: list[str] = []
    positions: list[int] = []
    words: list[tuple[str, int]] = []  # (piece, original index) before spaces are collapsed
    last_was_clause = True
    for index, raw in enumerate(text or ""):
        # Most characters are already canonical; only decompose those that may change.
        chars = unicodedata.normalize("NFKC", raw) if ord(raw) > 0x7F else raw
        for ch in chars.lower().translate(table):
            if _is_word_char(ch):
                compact.append(ch)
                positions.append(index)
                words.append((ch, index))
                last_was_clause = False
            elif ch in _CLAUSE_CHARS and not (ch == "." and _dot_between_ideographs(text, index)):
                words.extend(((" ", -1), (CLAUSE_MARK, index), (" ", -1)))
                if ch in _KEEP_AS_IS:
                    compact.append(ch)
                    positions.append(index)
                    last_was_clause = False
                elif not last_was_clause:
                    compact.append(CLAUSE_MARK)
                    positions.append(index)
                    last_was_clause = True
            else:
                # Spaces and decoration between characters: gone from the compact form, a word
                # break in the spaced form (English needs word boundaries, Chinese does not).
                words.append((" ", -1))
    spaced, spaced_positions = _collapse_spaces(words)
    return NormalizedText(
        original=text or "",
        compact="".join(compact),
        positions=tuple(positions),
        spaced=spaced,
        spaced_positions=spaced_positions,
    )


def _collapse_spaces(pieces: list[tuple[str, int]]) -> tuple[str, tuple[int, ...]]:
    """Single spaces between words, none at either end; keeps each character's original index."""
    chars: list[str] = []
    index: list[int] = []
    pending_space = False
    for ch, position in pieces:
        if ch == " ":
            pending_space = bool(chars)
            continue
        if pending_space:
            chars.append(" ")
            index.append(-1)
            pending_space = False
        chars.append(ch)
        index.append(position)
    return "".join(chars), tuple(index)


def normalize_pattern(pattern: str) -> str:
    """The same canonical form for a rule's pattern text (decoration kept out, case folded)."""
    return normalize(pattern).compact.replace(CLAUSE_MARK, "")
