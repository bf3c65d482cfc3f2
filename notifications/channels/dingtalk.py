"""DingTalk custom robot: markdown or text; optional 加签 signing in the URL; errors in the body."""

import json
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote_plus

from notifications.channels.base import (
    Destination,
    JsonRobotAdapter,
    SendResult,
    fit,
    hmac_sha256_b64,
    oneline,
    register,
    with_keyword,
)
from notifications.limits import byte_len, truncate_bytes
from notifications.messages import Message

KIND = "dingtalk"
# DingTalk documents no byte limit for markdown; 20,000 bytes is what its server accepts.
MAX_BYTES = 20000
# "send too fast, exceed 20 times per minute": the robot then refuses everything for 10 minutes.
MUTED_ERRCODE = 130101
MUTED_SECONDS = 600.0


def _errcode(answer: str):
    try:
        data = json.loads(answer)
    except ValueError:
        return None
    return data.get("errcode") if isinstance(data, dict) else None


def sign(*, secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), not yet URL-encoded."""
    return hmac_sha256_b64(key=secret.encode(), msg=f"{timestamp_ms}\n{secret}".encode())


def signed_url(*, url: str, secret: str, now: datetime) -> str:
    if not secret:
        return url
    timestamp_ms = int(now.timestamp() * 1000)
    joiner = "&" if "?" in url else "?"
    signature = quote_plus(sign(secret=secret, timestamp_ms=timestamp_ms))
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={signature}"


def _markdown(message: Message, keyword: str) -> str:
    rows = [f"### {with_keyword(oneline(message.title), keyword)}", ""]
    for line in message.lines:
        value = f"[{oneline(line.value)}]({line.href})" if line.href else oneline(line.value)
        rows.append(f"- **{line.label}**: {value}" if line.label else f"- {value}")
    if message.link:
        rows += ["", f"[{message.link_label}]({message.link})"]
    return "\n".join(rows)


def _text(message: Message, keyword: str) -> str:
    return with_keyword(message.text, keyword)


def payload(*, destination: Destination, message: Message) -> dict:
    if destination.use_markdown:
        message = fit(
            message, measure=lambda m: byte_len(_markdown(m, destination.keyword)), limit=MAX_BYTES
        )
        return {
            "msgtype": "markdown",
            "markdown": {
                "title": truncate_bytes(
                    with_keyword(oneline(message.title), destination.keyword), 200
                ),
                "text": truncate_bytes(_markdown(message, destination.keyword), MAX_BYTES),
            },
            "at": {"atMobiles": [], "isAtAll": False},
        }
    message = fit(
        message, measure=lambda m: byte_len(_text(m, destination.keyword)), limit=MAX_BYTES
    )
    return {
        "msgtype": "text",
        "text": {"content": truncate_bytes(_text(message, destination.keyword), MAX_BYTES)},
        "at": {"atMobiles": [], "isAtAll": False},
    }


def fits(*, destination: Destination, message: Message) -> bool:
    render = _markdown if destination.use_markdown else _text
    return byte_len(render(message, destination.keyword)) <= MAX_BYTES


class DingTalkAdapter(JsonRobotAdapter):
    kind = KIND
    code_keys, msg_keys = ("errcode",), ("errmsg",)

    def fits(self, *, destination: Destination, message: Message) -> bool:
        return fits(destination=destination, message=message)

    def payload(self, *, destination: Destination, message: Message, now: datetime) -> dict:
        return payload(destination=destination, message=message)

    def url(self, *, destination: Destination, now: datetime) -> str:
        return signed_url(url=destination.url, secret=destination.secret, now=now)

    def interpret(self, result: SendResult) -> SendResult:
        result = super().interpret(result)
        if not result.ok and str(_errcode(result.answer)) == str(MUTED_ERRCODE):
            # the robot is muted for ten minutes: retrying sooner only fails again
            return replace(result, retry_after=MUTED_SECONDS)
        return result


register(DingTalkAdapter())
