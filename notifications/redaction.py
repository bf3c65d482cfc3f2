"""Keep personal data and credentials out of messages, logs and error texts."""

import re
from urllib.parse import parse_qsl, urlsplit

from core.masking import mask_phone

# Mainland mobile numbers (optionally +86) not glued to other digits, written plain, in 3-4-4
# groups (`138 1234 5678`, `138-1234-5678`) or with full-width characters (`１３８１２３４５６７８`).
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－", "0123456789+-")
_SEP = r"[\s\-－]?"
_D = r"[0-9０-９]"
_MOBILE = re.compile(
    rf"(?<![0-9０-９])(?:[+＋]?[8８][6６]{_SEP})?"
    rf"([1１][3-9３-９]{_D}){_SEP}({_D}{{4}}){_SEP}({_D}{{4}})(?![0-9０-９])"
)


def _mask(match: re.Match) -> str:
    return mask_phone("".join(match.groups()).translate(_FULL_WIDTH))


def scrub_phones(value):
    """Mask every full mobile number inside strings, lists and dicts (recursively)."""
    if isinstance(value, str):
        return _MOBILE.sub(_mask, value)
    if isinstance(value, list | tuple):
        return [scrub_phones(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub_phones(v) for k, v in value.items()}
    return value


def url_display(url: str) -> str:
    """`https://oapi.dingtalk.com/robot/send?access_token=abcd…` -> `https://oapi.dingtalk.com/…`.

    Tokens hide in the path (Feishu, Slack) or the query (DingTalk, WeCom): show only the origin.
    """
    if not url:
        return ""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return "…"
    return f"{parts.scheme}://{parts.netloc}/…"


def redact(text: str, *, secrets: list[str]) -> str:
    """Replace every credential (the full URL, its path and query, the secret) inside `text`."""
    candidates = [s for s in secrets if s]
    for secret in secrets:
        parts = urlsplit(secret or "")
        if parts.netloc:
            # the token is a query value (DingTalk, WeCom) or a long path segment (Feishu, Slack)
            candidates += [f"{parts.path}?{parts.query}", parts.query]
            candidates += [v for _, v in parse_qsl(parts.query) if len(v) >= 6]
            candidates += [seg for seg in parts.path.split("/") if len(seg) >= 16]
    # longest first, so a full URL is replaced before its parts
    for candidate in sorted({c for c in candidates if c.strip("/?")}, key=len, reverse=True):
        text = text.replace(candidate, "***")
    return text
