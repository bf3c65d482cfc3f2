"""What an alert is, as `notifications` receives it: plain values, no knowledge of cases.

Callers (the `escalation` app) build an `Alert` and pass it to
`notifications.services.alert_dispatch(alert=...)`, which routes it to channels and users,
writes one outbox row per target under a unique dedupe key and delivers after commit.
`Alert.roles` names an audience by role: those users are emailed whether or not a route matches.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    CASE_RED = "case_red", _("Case became red")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    ESCALATION = "escalation", _("Escalation level reached")
    DIGEST = "digest", _("Digest")
    TEST = "test", _("Test message")


@dataclass(frozen=True)
class Alert:
    kind: str  # an AlertKind value
    # Identifies the alert event (e.g. "sla:123:breach"); each target gets it at most once.
    dedupe_key: str
    case_number: str
    title: str
    risk_level: str  # red | yellow | blue
    store_code: str = ""
    store_name: str = ""
    region: str = ""
    sla: str = ""  # "first_response" | "close" for SLA alerts
    due_at: datetime | None = None
    escalation_level: int | None = None
    url: str = ""  # absolute link to the case in the admin
    # Further plain values for templates (e.g. masked phone, risk reasons). Never a full phone.
    extra: dict = field(default_factory=dict)
    # The audience by role (Django group names, see core.roles), e.g. ("supervisor",) at ladder
    # level 1: every active user holding one of them gets an email, on top of what routes match,
    # so escalations reach the right people even with no route configured.
    roles: tuple[str, ...] = ()
    # Individual people (usernames), e.g. the case's assignee for an SLA warning; emailed like
    # the role audience, each person once.
    usernames: tuple[str, ...] = ()
