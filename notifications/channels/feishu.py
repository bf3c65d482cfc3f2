"""Feishu / Lark custom bot: rich-text `post` or text; signature (seconds) goes in the JSON body."""

import base64
import hashlib
import hmac
import json
from datetime import datetime

from django.utils import translation

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

KIND = "feishu"
# The whole request body may be 20 KB; keep a margin for the JSON envelope and signature.
MAX_BODY_BYTES = 20 * 1024
CONTENT_BUDGET = MAX_BODY_BYTES - 512


def sign(*, secret: str, timestamp_s: int) -> str:
    """Unlike DingTalk: the HMAC *key* is f"{timestamp}\\n{secret}" and the message is empty."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


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


class FeishuAdapter:
    kind = KIND

    def fits(self, *, destination: Destination, message: Message) -> bool:
        return fits(destination=destination, message=message)

    def send(self, *, destination: Destination, message: Message, now: datetime) -> SendResult:
        body = json.dumps(
            payload(destination=destination, message=message, now=now), ensure_ascii=False
        )
        result = http_post(url=destination.url, body=body.encode(), destination=destination)
        # Newer answers use `code`/`msg`, older ones `StatusCode`/`StatusMessage`.
        return json_code_result(
            result, code_keys=("code", "StatusCode"), msg_keys=("msg", "StatusMessage")
        )


register(FeishuAdapter())
