"""WeCom group robot: markdown (4,096 bytes) or text (2,048 bytes); the URL key is the credential."""

from datetime import datetime

from notifications.channels.base import (
    Destination,
    JsonRobotAdapter,
    fit,
    oneline,
    register,
    with_keyword,
)
from notifications.limits import byte_len, truncate_bytes
from notifications.messages import Message

KIND = "wecom"
MARKDOWN_MAX_BYTES = 4096
TEXT_MAX_BYTES = 2048
# WeCom markdown knows three font colours only.
RISK_COLOURS = {"red": "warning", "yellow": "comment", "blue": "info"}


def _markdown(message: Message, keyword: str) -> str:
    colour = RISK_COLOURS.get(message.risk_level, "comment")
    rows = [f"**{with_keyword(oneline(message.title), keyword)}**"]
    for line in message.lines:
        value = f"[{oneline(line.value)}]({line.href})" if line.href else oneline(line.value)
        if line.label:
            rows.append(f'> {line.label}: <font color="{colour}">{value}</font>')
        else:
            rows.append(f"> {value}")
    if message.link:
        rows.append(f"[{message.link_label}]({message.link})")
    return "\n".join(rows)


def _text(message: Message, keyword: str) -> str:
    return with_keyword(message.text, keyword)


def payload(*, destination: Destination, message: Message) -> dict:
    keyword = destination.keyword
    if destination.use_markdown:
        message = fit(
            message, measure=lambda m: byte_len(_markdown(m, keyword)), limit=MARKDOWN_MAX_BYTES
        )
        content = truncate_bytes(_markdown(message, keyword), MARKDOWN_MAX_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": content}}
    message = fit(message, measure=lambda m: byte_len(_text(m, keyword)), limit=TEXT_MAX_BYTES)
    content = truncate_bytes(_text(message, keyword), TEXT_MAX_BYTES)
    return {"msgtype": "text", "text": {"content": content, "mentioned_mobile_list": []}}


def fits(*, destination: Destination, message: Message) -> bool:
    if destination.use_markdown:
        return byte_len(_markdown(message, destination.keyword)) <= MARKDOWN_MAX_BYTES
    return byte_len(_text(message, destination.keyword)) <= TEXT_MAX_BYTES


class WeComAdapter(JsonRobotAdapter):
    kind = KIND
    code_keys, msg_keys = ("errcode",), ("errmsg",)

    def fits(self, *, destination: Destination, message: Message) -> bool:
        return fits(destination=destination, message=message)

    def payload(self, *, destination: Destination, message: Message, now: datetime) -> dict:
        return payload(destination=destination, message=message)


register(WeComAdapter())
