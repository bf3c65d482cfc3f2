"""Our own signed JSON webhook (format documented in docs/alerts.md).

Headers: `X-Alert-Timestamp` (unix seconds) and, when a secret is set,
`X-Alert-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`. Signing the
timestamp with the body lets receivers reject replays of an old, validly signed request.
`X-Alert-Key` identifies the alert so receivers can drop redeliveries (delivery is at least once).
"""

import hashlib
import hmac
import json
from datetime import datetime

from notifications.channels.base import Destination, SendResult, http_post, register
from notifications.messages import Message

KIND = "webhook"


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def request_parts(*, destination: Destination, message: Message, now: datetime):
    """(body bytes, headers) exactly as sent."""
    body = json.dumps(
        {**message.payload, "sent_at": now.isoformat()}, ensure_ascii=False, sort_keys=True
    ).encode()
    timestamp = str(int(now.timestamp()))
    headers = {"X-Alert-Timestamp": timestamp}
    if destination.alert_key:
        headers["X-Alert-Key"] = destination.alert_key
    if destination.secret:
        headers["X-Alert-Signature"] = sign(
            secret=destination.secret, timestamp=timestamp, body=body
        )
    return body, headers


class WebhookAdapter:
    kind = KIND

    def fits(self, *, destination: Destination, message: Message) -> bool:
        return True  # our own JSON: no size limit

    def send(self, *, destination: Destination, message: Message, now: datetime) -> SendResult:
        body, headers = request_parts(destination=destination, message=message, now=now)
        return http_post(url=destination.url, body=body, destination=destination, headers=headers)


register(WebhookAdapter())
