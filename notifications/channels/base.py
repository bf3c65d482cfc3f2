"""The channel interface: one small adapter per kind, registered by kind.

An adapter turns a vendor-neutral `Message` into the vendor's request, sends it synchronously and
reads the vendor's answer: `send(*, destination, message, now) -> SendResult`. It never raises for
a failed send (the result says so) and never puts the URL or the secret in the result: both are
credentials. `fits(*, destination, message) -> bool` says whether a message goes out whole. Adding a channel = one module here plus its `register` call.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from notifications.messages import Line, Message
from notifications.redaction import redact


@dataclass(frozen=True)
class Destination:
    """Where to send, as plain values (a saved channel or an ad-hoc `notify_test` target)."""

    kind: str
    url: str = ""
    secret: str = ""
    keyword: str = ""
    recipients: tuple[str, ...] = ()
    use_markdown: bool = True
    alert_key: str = ""  # lets receivers of the generic webhook drop redeliveries

    @property
    def secrets(self) -> list[str]:
        return [self.url, self.secret]


@dataclass(frozen=True)
class SendResult:
    ok: bool
    answer: str = ""  # what the vendor answered (redacted, shortened)
    error: str = ""
    status_code: int | None = None
    retry_after: float | None = None  # the vendor asked us to wait this long


class Adapter(Protocol):
    kind: str

    def send(self, *, destination: Destination, message: Message, now: datetime) -> SendResult: ...

    # True when `message` goes out whole: `send` would not drop lines to meet the vendor's
    # size limit. Delivery uses it to size a digest, so no alert is marked sent unseen.
    def fits(self, *, destination: Destination, message: Message) -> bool: ...


_REGISTRY: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    _REGISTRY[adapter.kind] = adapter
    return adapter


def get_adapter(kind: str) -> Adapter:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(f"no channel adapter for kind {kind!r}") from None


# --- helpers shared by the HTTP adapters -------------------------------------------------------

_session = requests.Session()
ANSWER_MAX_CHARS = 1000


def http_post(
    *, url: str, body: bytes, destination: Destination, headers: dict | None = None
) -> SendResult:
    """POST `body`; the result holds the status code and the body as answered (redacted).

    `ok` only says the HTTP exchange happened with a 2xx; adapters then read the body.
    """
    timeout = settings.NOTIFICATIONS_HTTP_TIMEOUT
    try:
        response = _session.post(
            url,
            data=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "complaint-desk-alerts/1.0",
                **(headers or {}),
            },
            timeout=(min(timeout, 5), timeout),
            # a redirect would resend the token to wherever it points
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return SendResult(
            ok=False,
            error=redact(f"{type(exc).__name__}: {exc}", secrets=destination.secrets)[:500],
        )
    answer = redact(response.text[:ANSWER_MAX_CHARS], secrets=destination.secrets)
    retry_after = None
    if response.status_code == 429:
        try:
            retry_after = float(response.headers.get("Retry-After", ""))
        except ValueError:
            retry_after = None
    ok = 200 <= response.status_code < 300
    return SendResult(
        ok=ok,
        answer=answer,
        status_code=response.status_code,
        error=""
        if ok
        else _("HTTP %(code)s: %(answer)s")
        % {
            "code": response.status_code,
            "answer": answer[:300],
        },
        retry_after=retry_after,
    )


def json_code_result(result: SendResult, *, code_keys: tuple[str, ...], msg_keys: tuple[str, ...]):
    """The Chinese vendors answer HTTP 200 even on error: success is a zero code in the body."""
    if not result.ok:
        return result
    try:
        data = json.loads(result.answer)
    except ValueError:
        return replace(
            result,
            ok=False,
            error=_("Unreadable answer: %(answer)s") % {"answer": result.answer[:300]},
        )
    if not isinstance(data, dict):
        return replace(
            result,
            ok=False,
            error=_("Unexpected answer: %(answer)s") % {"answer": result.answer[:300]},
        )
    code = next((data[k] for k in code_keys if k in data), None)
    if code in (0, "0"):
        return result
    message = next((data[k] for k in msg_keys if k in data), "")
    return replace(
        result,
        ok=False,
        error=_("Vendor error %(code)s: %(message)s") % {"code": code, "message": message},
    )


def with_keyword(text: str, keyword: str) -> str:
    """Robots set to require a keyword drop messages without it; put it first."""
    return f"{keyword} {text}" if keyword and keyword not in text else text


def fit(message: Message, *, measure: Callable[[Message], int], limit: int) -> Message:
    """Drop trailing lines (saying how many) until the rendered size is within `limit` bytes.

    Dropping whole lines keeps markdown and JSON well-formed, and the link (rendered apart from
    the lines) always survives. The adapter still byte-truncates the result as a last resort.
    """
    if measure(message) <= limit:
        return message
    lines = list(message.lines)
    dropped = 0
    while lines:
        lines.pop()
        dropped += 1
        more = Line("", _("… and %(count)d more lines") % {"count": dropped})
        candidate = replace(message, lines=(*lines, more))
        if measure(candidate) <= limit:
            return candidate
    return replace(message, lines=())


def oneline(value: str) -> str:
    return " ".join(str(value).split())


def hmac_sha256_b64(*, key: bytes, msg: bytes) -> str:
    """base64(HMAC-SHA256(key, msg)): how the chat robots sign (each with its own key and
    message)."""
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


class JsonRobotAdapter:
    """A chat robot that takes one JSON body by POST. A robot says how a message fits and renders
    (`fits`, `payload`), where to send it (`url`, e.g. signed) and how to read its answer
    (`code_keys` / `msg_keys` of an error in a 200 body; none: the HTTP status decides)."""

    kind = ""
    code_keys: tuple[str, ...] = ()
    msg_keys: tuple[str, ...] = ()

    def fits(self, *, destination: Destination, message: Message) -> bool:
        raise NotImplementedError

    def payload(self, *, destination: Destination, message: Message, now: datetime) -> dict:
        raise NotImplementedError

    def url(self, *, destination: Destination, now: datetime) -> str:
        return destination.url

    def interpret(self, result: SendResult) -> SendResult:
        if not self.code_keys:
            return result
        return json_code_result(result, code_keys=self.code_keys, msg_keys=self.msg_keys)

    def send(self, *, destination: Destination, message: Message, now: datetime) -> SendResult:
        body = json.dumps(
            self.payload(destination=destination, message=message, now=now), ensure_ascii=False
        )
        result = http_post(
            url=self.url(destination=destination, now=now),
            body=body.encode(),
            destination=destination,
        )
        return self.interpret(result)
