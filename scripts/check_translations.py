"""Fail when a user-facing string has no Chinese translation or the catalogue is out of date.

Extracts the messages from a scratch copy of the source (so the working tree is untouched),
compares them with locale/zh_Hans/LC_MESSAGES/django.po and checks that every entry is
translated, not fuzzy, and compiled (.mo matches .po).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "var", "media", "staticfiles", "*.pyc", "__pycache__", "db.sqlite3", "locale"
)


def entries(path: Path) -> dict[str, tuple[str, bool]]:
    """msgid (with context) -> (msgstr, fuzzy), from a .po file; good enough for Django's output."""
    result, block = {}, []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            fuzzy = any(b.startswith("#,") and "fuzzy" in b for b in block)
            fields, current = {}, None
            for b in block:
                if b.startswith("#"):
                    continue
                if b.startswith('"'):
                    fields[current] += b[1:-1]
                else:
                    current, _, rest = b.partition(" ")
                    fields[current] = rest[1:-1]
            msgid = fields.get("msgctxt", "") + "\x04" + fields.get("msgid", "")
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            if fields.get("msgid"):
                result[msgid] = (msgstr, fuzzy)
            block = []
    return result


def main() -> int:
    if not PO.exists():
        print(f"missing {PO.relative_to(ROOT)}: run `make messages`")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "src"
        shutil.copytree(ROOT, copy, ignore=IGNORE)
        (copy / "locale").mkdir()
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-location",
                "--ignore=bench/*",
                "--ignore=tests/*",
                "--ignore=scripts/*",
            ],
            cwd=copy,
            check=True,
            capture_output=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        )
        fresh = entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    committed = entries(PO)
    problems = []
    for msgid in sorted(fresh):
        text = msgid.split("\x04", 1)[1]
        if msgid not in committed:
            problems.append(f"not in the catalogue: {text!r}")
        elif not committed[msgid][0] or committed[msgid][1]:
            problems.append(f"untranslated or fuzzy: {text!r}")
    mo = PO.with_suffix(".mo")
    with tempfile.TemporaryDirectory() as tmp:
        compiled = Path(tmp) / "django.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(PO)], check=True)
        if not mo.exists() or mo.read_bytes() != compiled.read_bytes():
            problems.append("django.mo does not match django.po: run `make messages`")
    for line in problems[:50]:
        print(line)
    if problems:
        print(f"{len(problems)} translation problem(s); run `make messages` and translate.")
        return 1
    print(f"translations: {len(fresh)} messages, all translated to zh-hans")
    return 0


if __name__ == "__main__":
    sys.exit(main())
