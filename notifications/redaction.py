"""Keep personal data and credentials out of messages, logs and error texts."""

from urllib.parse import parse_qsl, urlsplit

from requests.utils import requote_uri

from core.masking import scrub_phones

__all__ = ["redact", "scrub_phones", "url_display"]


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
    # the HTTP client may re-encode odd characters (`|` -> `%7C`): redact that spelling too
    secrets = [*secrets, *(requote_uri(s) for s in secrets if s)]
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
