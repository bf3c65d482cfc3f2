"""Feishu / Lark custom bot: rich-text `post` or text; signature (seconds) goes in the JSON body."""

import json
from datetime import datetime

from django.utils import translation

from notifications.channels.base import (
    Destination,
    JsonRobotAdapter,
    fit,
    hmac_sha256_b64,
    oneline,
    register,
    with_keyword,
)
from notifications.limits import byte_len, truncate_bytes
from notifications.messages import Message

KIND = "feishu"
# The whole request body may be 20 KB; keep a margin for the JSON envelope and signature.
MAX_BODY_BYTES = 20 * 1024
CONTENT_BUDGET = MAX_BODY_BYTES - 512


def sign(*, secret: str, timestamp_s: int) -> str:
    """Unlike DingTalk: the HMAC *key* is f"{timestamp}\\n{secret}" and the message is empty."""
    return hmac_sha256_b64(key=f"{timestamp_s}\n{secret}".encode(), msg=b"")


def _post_content(message: Message, keyword: str) -> dict:
    rows = []
    for line in message.lines:
        label = f"{line.label}: " if line.label else ""
        if line.href:
            rows.append(
                [
                    {"tag": "text", "text": label},
                    {"tag": "a", "text": oneline(line.value), "href": line.href},
                ]
            )
        else:
            rows.append([{"tag": "text", "text": f"{label}{oneline(line.value)}"}])
    if message.link:
        rows.append([{"tag": "a", "text": message.link_label, "href": message.link}])
    language = "en_us" if (translation.get_language() or "").startswith("en") else "zh_cn"
    title = with_keyword(oneline(message.title), keyword)
    return {"post": {language: {"title": title, "content": rows}}}


def _text(message: Message, keyword: str) -> str:
    return with_keyword(message.text, keyword)


def _size(obj) -> int:
    return byte_len(json.dumps(obj, ensure_ascii=False))


def payload(*, destination: Destination, message: Message, now: datetime) -> dict:
    keyword = destination.keyword
    if destination.use_markdown:
        message = fit(
            message,
            measure=lambda m: _size(_post_content(m, keyword)),
            limit=CONTENT_BUDGET,
        )
        body = {"msg_type": "post", "content": _post_content(message, keyword)}
    else:
        message = fit(message, measure=lambda m: byte_len(_text(m, keyword)), limit=CONTENT_BUDGET)
        body = {
            "msg_type": "text",
            "content": {"text": truncate_bytes(_text(message, keyword), CONTENT_BUDGET)},
        }
    if destination.secret:
        timestamp_s = int(now.timestamp())
        body = {
            "timestamp": str(timestamp_s),
            "sign": sign(secret=destination.secret, timestamp_s=timestamp_s),
            **body,
        }
    return body


def fits(*, destination: Destination, message: Message) -> bool:
    keyword = destination.keyword
    if destination.use_markdown:
        return _size(_post_content(message, keyword)) <= CONTENT_BUDGET
    return byte_len(_text(message, keyword)) <= CONTENT_BUDGET


class FeishuAdapter(JsonRobotAdapter):
    kind = KIND
    # Newer answers use `code`/`msg`, older ones `StatusCode`/`StatusMessage`.
    code_keys, msg_keys = ("code", "StatusCode"), ("msg", "StatusMessage")

    def fits(self, *, destination: Destination, message: Message) -> bool:
        return fits(destination=destination, message=message)

    def payload(self, *, destination: Destination, message: Message, now: datetime) -> dict:
        return payload(destination=destination, message=message, now=now)


register(FeishuAdapter())
