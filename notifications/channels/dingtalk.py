"""DingTalk custom robot: markdown or text; optional 加签 signing in the URL; errors in the body."""

import base64
import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import quote_plus

from notifications.channels.base import (
    Destination,
    SendResult,
    fit,
    http_post,
    json_code_result,
    oneline,
    register,
    with_keyword,
)
from notifications.limits import byte_len, truncate_bytes
from notifications.messages import Message

KIND = "dingtalk"
# DingTalk documents no byte limit for markdown; 20,000 bytes is what its server accepts.
MAX_BYTES = 20000


def sign(*, secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), not yet URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


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


class DingTalkAdapter:
    kind = KIND

    def send(self, *, destination: Destination, message: Message, now: datetime) -> SendResult:
        body = json.dumps(payload(destination=destination, message=message), ensure_ascii=False)
        result = http_post(
            url=signed_url(url=destination.url, secret=destination.secret, now=now),
            body=body.encode(),
            destination=destination,
        )
        return json_code_result(result, code_keys=("errcode",), msg_keys=("errmsg",))


register(DingTalkAdapter())
