"""Message templates per alert kind, rendered to a vendor-neutral `Message`.

English is the source text of every string (translated like the rest of the site); a message is
rendered in the channel's language at send time. Each adapter turns the `Message` into its own
syntax (DingTalk / WeCom markdown, Feishu post, Slack mrkdwn, plain text, JSON).
Personal data: only what the `Alert` carries, and full phone numbers are masked again here.
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from notifications.alerts import Alert, AlertKind
from notifications.limits import truncate_bytes
from notifications.redaction import scrub_phones

RISK_LABELS = {
    "red": gettext_lazy("Red"),
    "yellow": gettext_lazy("Yellow"),
    "blue": gettext_lazy("Blue"),
}
RISK_MARKS = {"red": "🔴", "yellow": "🟡", "blue": "🔵"}
RISK_ORDER = {"blue": 0, "yellow": 1, "red": 2}

# Longest headline shown per alert in a digest (30 Chinese characters): 8 lines still fit WeCom's
# 2,048-byte text messages with a link each.
DIGEST_LINE_BYTES = 90

SLA_LABELS = {
    "first_response": gettext_lazy("first response (1 hour)"),
    "close": gettext_lazy("closing the loop (24 hours)"),
}

# Optional `Alert.extra` entries that messages show: label -> the keys read, first one set wins.
# The escalation app sends `masked_phone`, `risk_reasons` (triage's list of {signal, evidence})
# and `risk_reason` (its one-line summary); `phone` and `reasons` are the older names. Other keys
# travel only in the generic webhook's JSON.
EXTRA_FIELDS = (
    (gettext_lazy("Customer"), ("customer",)),
    (gettext_lazy("Phone"), ("masked_phone", "phone")),
    (gettext_lazy("Assignee"), ("assignee",)),
    (gettext_lazy("Risk signals"), ("risk_reasons", "reasons", "risk_reason")),
    (gettext_lazy("Group incident"), ("incident",)),
    (gettext_lazy("Note"), ("note",)),
)


def _extra_text(value) -> str:
    """A list shows as `a; b`; a triage reason {signal, evidence} as `signal: “e1”, “e2”`."""
    if isinstance(value, dict):
        signal = value.get("signal") or value.get("code") or ""
        evidence = ", ".join(f"“{e}”" for e in value.get("evidence") or ())
        return f"{signal}: {evidence}" if signal and evidence else str(signal or evidence)
    if isinstance(value, list | tuple):
        return "; ".join(text for text in (_extra_text(v) for v in value) if text)
    return str(value)


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    href: str = ""


@dataclass(frozen=True)
class Message:
    """What every adapter receives. `lines` are (label, value) pairs; `link` is the case page."""

    kind: str
    title: str
    lines: tuple[Line, ...]
    link: str = ""
    link_label: str = ""
    risk_level: str = ""
    # Machine-readable form for the generic webhook (one alert, or a digest with `items`).
    payload: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Plain text: title, one line per field, the link."""
        rows = [self.title, ""]
        for line in self.lines:
            value = f"{line.value} {line.href}" if line.href else line.value
            rows.append(f"{line.label}: {value}" if line.label else value)
        if self.link:
            rows += ["", f"{self.link_label}: {self.link}"]
        return "\n".join(rows).strip()


def alert_to_dict(alert: Alert) -> dict:
    """The alert as JSON-ready plain values (stored on the outbox row)."""
    return {
        "kind": alert.kind,
        "dedupe_key": alert.dedupe_key,
        "case_number": alert.case_number,
        "title": alert.title,
        "risk_level": alert.risk_level,
        "store_code": alert.store_code,
        "store_name": alert.store_name,
        "region": alert.region,
        "sla": alert.sla,
        "due_at": alert.due_at.isoformat() if alert.due_at else None,
        "escalation_level": alert.escalation_level,
        "url": alert.url,
        "extra": alert.extra,
        "roles": list(alert.roles),
    }


def alert_from_dict(data: dict) -> Alert:
    due_at = data.get("due_at")
    return Alert(
        kind=data["kind"],
        dedupe_key=data.get("dedupe_key", ""),
        case_number=data.get("case_number", ""),
        title=data.get("title", ""),
        risk_level=data.get("risk_level", ""),
        store_code=data.get("store_code", ""),
        store_name=data.get("store_name", ""),
        region=data.get("region", ""),
        sla=data.get("sla", ""),
        due_at=datetime.fromisoformat(due_at) if due_at else None,
        escalation_level=data.get("escalation_level"),
        url=data.get("url", ""),
        extra=data.get("extra") or {},
        roles=tuple(data.get("roles") or ()),
    )


def case_link(url: str) -> str:
    """Absolute link: `SITE_URL + url` for a path, the URL itself when already absolute."""
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}/{url.lstrip('/')}"


def _local(dt: datetime) -> str:
    local = timezone.localtime(dt, ZoneInfo(settings.TIME_ZONE))
    return f"{local:%Y-%m-%d %H:%M} ({settings.TIME_ZONE})"


def _relative(due_at: datetime, now: datetime) -> str:
    minutes = int(abs((due_at - now).total_seconds()) // 60)
    if due_at >= now:
        return ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
    return ngettext("%(n)d minute ago", "%(n)d minutes ago", minutes) % {"n": minutes}


def _headline(alert: Alert) -> str:
    values = {
        "case": alert.case_number,
        "title": alert.title,
        "sla": SLA_LABELS.get(alert.sla, alert.sla) if alert.sla else _("a deadline"),
        "level": alert.escalation_level if alert.escalation_level is not None else "?",
    }
    headlines = {
        AlertKind.CASE_RED: _("Case %(case)s became red: %(title)s"),
        AlertKind.SLA_WARNING: _("SLA warning for %(case)s: %(sla)s is due soon"),
        AlertKind.SLA_BREACH: _("SLA breached for %(case)s: %(sla)s is overdue"),
        AlertKind.ESCALATION: _("Escalation level %(level)s reached for %(case)s"),
        AlertKind.DIGEST: _("Digest: %(title)s"),
        AlertKind.TEST: _("Test message from the complaint desk"),
    }
    return headlines.get(alert.kind, _("Alert for %(case)s")) % values


def message_for_alert(*, alert: Alert, now: datetime) -> Message:
    """The message for one alert. Call inside `translation.override(language)`."""
    alert = Alert(**{**alert.__dict__, "title": scrub_phones(alert.title)})
    extra = scrub_phones(alert.extra or {})
    lines = []
    if alert.case_number:
        lines.append(Line(_("Case"), alert.case_number))
    if alert.title:
        lines.append(Line(_("Title"), alert.title))
    if alert.risk_level:
        risk = RISK_LABELS.get(alert.risk_level, alert.risk_level)
        lines.append(
            Line(_("Risk level"), f"{RISK_MARKS.get(alert.risk_level, '')} {risk}".strip())
        )
    if alert.store_code or alert.store_name:
        store = " ".join(v for v in (alert.store_code, alert.store_name) if v)
        if alert.region:
            store = f"{store} ({alert.region})"
        lines.append(Line(_("Store"), store))
    if alert.sla or alert.due_at:
        what = SLA_LABELS.get(alert.sla, alert.sla) if alert.sla else _("deadline")
        when = f"{_local(alert.due_at)}, {_relative(alert.due_at, now)}" if alert.due_at else ""
        lines.append(Line(_("Due"), f"{what} — {when}" if when else str(what)))
    if alert.escalation_level is not None:
        lines.append(Line(_("Escalation level"), str(alert.escalation_level)))
    for label, keys in EXTRA_FIELDS:
        value = next((extra[k] for k in keys if extra.get(k) not in (None, "", [], {})), None)
        text = _extra_text(value) if value is not None else ""
        if text:
            lines.append(Line(str(label), text))
    if alert.kind == AlertKind.TEST and not lines:
        lines.append(Line("", _("If you can read this, the channel works.")))
    link = case_link(alert.url)
    text = "\n".join([_headline(alert), *(f"{ln.label}: {ln.value}" for ln in lines)])
    payload = {
        "kind": alert.kind,
        "case": alert.case_number,
        "risk_level": alert.risk_level,
        "title": alert.title,
        "text": text,
        "store": {"code": alert.store_code, "name": alert.store_name, "region": alert.region},
        "sla": alert.sla or None,
        "due_at": alert.due_at.isoformat() if alert.due_at else None,
        "escalation_level": alert.escalation_level,
        "url": link,
        "dedupe_key": alert.dedupe_key,
        "extra": extra,
    }
    return Message(
        kind=alert.kind,
        title=_headline(alert),
        lines=tuple(lines),
        link=link,
        link_label=_("Open the case"),
        risk_level=alert.risk_level,
        payload=payload,
    )


def message_for_digest(*, alerts: list[Alert], now: datetime) -> Message:
    """Several alerts for one rate-limited robot, merged into one message (one line each).

    Each line's text is cut to DIGEST_LINE_BYTES so a digest of the channel's capacity fits the
    vendor's byte limit (delivery still checks the rendered size and defers what does not fit).
    """
    items = [message_for_alert(alert=a, now=now) for a in alerts]
    top = max((a.risk_level for a in alerts), key=lambda r: RISK_ORDER.get(r, -1), default="")
    lines = tuple(
        Line(
            f"{RISK_MARKS.get(item.risk_level, '')} {item.payload['case']}".strip(),
            truncate_bytes(item.title, DIGEST_LINE_BYTES),
            href=item.link,
        )
        for item in items
    )
    title = ngettext("Digest of %(count)d alert", "Digest of %(count)d alerts", len(items)) % {
        "count": len(items)
    }
    payload = {
        "kind": AlertKind.DIGEST.value,
        "case": "",
        "risk_level": top,
        "title": title,
        "text": "\n".join(f"{ln.label} {ln.value}" for ln in lines),
        "sla": None,
        "due_at": None,
        "items": [item.payload for item in items],
    }
    return Message(
        kind=AlertKind.DIGEST,
        title=title,
        lines=lines,
        risk_level=top,
        payload=payload,
    )
