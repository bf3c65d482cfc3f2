"""The labelled corpus: reading rows, the splits, and what training may see.

Contract (files in, plain rows out; no database):

- `read_rows(path)` reads a CSV (`text`, `level`, optional `channel`, `category`) or JSON Lines
  file (the same fields plus `family`, `register`, `source`, `id`), or every `*.jsonl` / `*.csv`
  of a directory; a bad row raises `ValueError` naming the file and line. In JSON Lines, `channel`
  is the medium the writer imitated and `intake_channel` the channel fact triage is given.
- The corpus (`data/triage_corpus/` or `TRIAGE_CORPUS_DIR`) has two splits: `train/` (rows that
  tune the rules and train the model) and `blind/` (rows that only report). Both were written by
  writers who never saw the rules; see `data/triage_corpus/README.md` for who wrote what.
- `training_rows(corpus)` is the train split without any text that is also in the blind split
  (compared after normalisation), so nothing the blind split holds is ever learned from.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from django.utils.translation import gettext as _

from triage.engine import LEVELS
from triage.normalize import normalize

TRAIN = "train"
BLIND = "blind"
SPLITS = (TRAIN, BLIND)
FIELDS = (
    "text", "level", "channel", "category", "family", "register", "source", "id", "medium",
)  # fmt: skip


def text_hash(text: str) -> str:
    """The same for texts that differ only in spacing, width, script or punctuation."""
    key = "".join(ch for ch in normalize(text).compact if ch.isalnum())
    return hashlib.sha256(key.encode()).hexdigest()


def _row(path: Path, line: int, raw: dict) -> dict:
    level = str(raw.get("level") or "").strip().lower()
    text = str(raw.get("text") or "").strip()
    if level not in LEVELS or not text:
        raise ValueError(
            _("%(path)s, line %(line)d: needs a text and a level (%(levels)s).")
            % {"path": path, "line": line, "levels": ", ".join(LEVELS)}
        )
    row = {key: str(raw.get(key) or "").strip() for key in FIELDS}
    row.update(text=text, level=level)
    row["source"] = row["source"] or path.stem
    return row


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "level"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(
                _("%(path)s: missing column(s) %(columns)s")
                % {"path": path, "columns": ", ".join(sorted(missing))}
            )
        return [_row(path, line, raw) for line, raw in enumerate(reader, start=2)]


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8-sig") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    _("%(path)s, line %(line)d: not valid JSON (%(error)s).")
                    % {"path": path, "line": line, "error": exc.msg}
                ) from exc
            if not isinstance(data, dict):
                raise ValueError(
                    _("%(path)s, line %(line)d: expected an object.") % {"path": path, "line": line}
                )
            # A writer's `channel` says where such text is seen (an app review, a hotline
            # transcript): the medium, not an intake fact triage should act on. Rows exported
            # from real cases carry the case's channel as `intake_channel`.
            data = {
                **data,
                "medium": data.get("channel", ""),
                "channel": data.get("intake_channel"),
            }
            rows.append(_row(path, line, data))
    return rows


def read_rows(path: Path | str) -> list[dict]:
    path = Path(path)
    if path.is_dir():
        files = sorted([*path.glob("*.jsonl"), *path.glob("*.csv")])
        return [row for file in files for row in read_rows(file)]
    if path.suffix == ".jsonl":
        return _read_jsonl(path)
    return _read_csv(path)


def split_rows(corpus: Path | str, split: str) -> list[dict]:
    if split not in SPLITS:
        raise ValueError(_("Unknown split %(split)s.") % {"split": split})
    directory = Path(corpus) / split
    return read_rows(directory) if directory.is_dir() else []


def blind_hashes(corpus: Path | str) -> set[str]:
    return {text_hash(r["text"]) for r in split_rows(corpus, BLIND)}


def mentions_blind(text: str, blind: set[str]) -> bool:
    """Whether `text`, or one of its lines, is a text of the blind split: a case's training text
    is its title, description and notes, one per line, so a blind text typed in as a
    description is caught too."""
    return any(text_hash(part) in blind for part in [text, *text.splitlines()] if part.strip())


def without_blind(rows: list[dict], corpus: Path | str) -> list[dict]:
    """`rows` minus every row whose text (or one of its lines) the blind split holds."""
    blind = blind_hashes(corpus)
    return [r for r in rows if not mentions_blind(r["text"], blind)]


def training_rows(corpus: Path | str) -> list[dict]:
    """The train split minus every text the blind split also holds."""
    return without_blind(split_rows(corpus, TRAIN), corpus)
