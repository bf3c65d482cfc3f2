"""Slack incoming webhook (also Mattermost / Rocket.Chat): mrkdwn section; success is `ok`."""

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

KIND = "slack"
# A section block's text may hold 3,000 characters; counting bytes keeps us below it.
SECTION_MAX = 3000
FALLBACK_MAX = 3000


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(message: Message, keyword: str) -> str:
    rows = [f"*{_escape(with_keyword(oneline(message.title), keyword))}*"]
    for line in message.lines:
        value = _escape(oneline(line.value))
        if line.href:
            value = f"<{line.href}|{value}>"
        rows.append(f"• *{_escape(line.label)}*: {value}" if line.label else f"• {value}")
    if message.link:
        rows.append(f"<{message.link}|{_escape(message.link_label)}>")
    return "\n".join(rows)


def payload(*, destination: Destination, message: Message) -> dict:
    keyword = destination.keyword
    fallback = truncate_bytes(with_keyword(oneline(message.title), keyword), FALLBACK_MAX)
    if not destination.use_markdown:
        message = fit(
            message, measure=lambda m: byte_len(with_keyword(m.text, keyword)), limit=FALLBACK_MAX
        )
        return {"text": truncate_bytes(with_keyword(message.text, keyword), FALLBACK_MAX)}
    message = fit(message, measure=lambda m: byte_len(_mrkdwn(m, keyword)), limit=SECTION_MAX)
    section = truncate_bytes(_mrkdwn(message, keyword), SECTION_MAX)
    return {
        "text": fallback,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": section}}],
    }


def fits(*, destination: Destination, message: Message) -> bool:
    keyword = destination.keyword
    if destination.use_markdown:
        return byte_len(_mrkdwn(message, keyword)) <= SECTION_MAX
    return byte_len(with_keyword(message.text, keyword)) <= FALLBACK_MAX


class SlackAdapter(JsonRobotAdapter):
    """Slack answers with the HTTP status (and `ok` / `invalid_payload` text), not a JSON code."""

    kind = KIND

    def fits(self, *, destination: Destination, message: Message) -> bool:
        return fits(destination=destination, message=message)

    def payload(self, *, destination: Destination, message: Message, now: datetime) -> dict:
        return payload(destination=destination, message=message)


register(SlackAdapter())
