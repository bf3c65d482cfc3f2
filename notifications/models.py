"""Channels, routing rules and the outbox / delivery log.

A `Notification` is one (alert, target) pair: the unique constraint on `(alert_key, target_key)`
is what makes "the same alert dispatched twice" deliver once, whatever the broker does.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import RiskLevel
from core.models import TimeStampedModel
from notifications.alerts import AlertKind


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom group robot")
    FEISHU = "feishu", _("Feishu / Lark bot")
    SLACK = "slack", _("Slack-compatible webhook")
    WEBHOOK = "webhook", _("Signed JSON webhook")


# Vendor limits per robot (see shared/reference/im-webhooks.md): (per minute, per second).
# 0 means "no limit"; the admin may lower or raise them per channel.
DEFAULT_RATE_LIMITS = {
    ChannelKind.EMAIL: (0, 0),
    ChannelKind.DINGTALK: (20, 0),
    ChannelKind.WECOM: (20, 0),
    ChannelKind.FEISHU: (100, 5),
    ChannelKind.SLACK: (60, 1),
    ChannelKind.WEBHOOK: (0, 0),
}


class Channel(TimeStampedModel):
    """Where alerts go. `url` and `secret` are credentials: write-only in the admin, never logged."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    url = models.CharField(
        _("webhook URL"),
        max_length=1000,
        blank=True,
        help_text=_("The full URL as copied from the vendor, including its token."),
    )
    secret = models.CharField(_("signing secret"), max_length=256, blank=True)
    keyword = models.CharField(
        _("keyword / prefix"),
        max_length=64,
        blank=True,
        help_text=_("Put at the start of every message, for robots that require a keyword."),
    )
    recipients = models.JSONField(
        _("email recipients"), default=list, blank=True, help_text=_("For email channels.")
    )
    use_markdown = models.BooleanField(
        _("use markdown"), default=True, help_text=_("Rich messages where the vendor supports it.")
    )
    language = models.CharField(
        _("language"),
        max_length=16,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Language of the messages; empty means the site's default."),
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        _("messages per minute"),
        null=True,
        blank=True,
        help_text=_("Empty: the vendor's limit. 0: no limit."),
    )
    rate_limit_per_second = models.PositiveIntegerField(
        _("messages per second"),
        null=True,
        blank=True,
        help_text=_("Empty: the vendor's limit. 0: no limit."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Send times (unix seconds) inside the current rate-limit window; updated under a row lock.
    recent_sends = models.JSONField(default=list, blank=True, editable=False)
    managed_by_config = models.BooleanField(
        _("managed by config file"), default=False, editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert channel")
        verbose_name_plural = _("alert channels")

    def __str__(self) -> str:
        return self.name

    @property
    def rate_limits(self) -> tuple[int, int]:
        """(per minute, per second) in force: the channel's own values, else the vendor's."""
        default_minute, default_second = DEFAULT_RATE_LIMITS.get(self.kind, (0, 0))
        per_minute = self.rate_limit_per_minute
        per_second = self.rate_limit_per_second
        return (
            default_minute if per_minute is None else per_minute,
            default_second if per_second is None else per_second,
        )

    @property
    def is_rate_limited(self) -> bool:
        return any(self.rate_limits)


class Route(TimeStampedModel):
    """A rule: alerts of these kinds (optionally filtered) go to these channels and users.

    Empty filter lists mean "any". Several routes may match one alert; each target gets it once.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    kinds = models.JSONField(_("alert kinds"), default=list)
    risk_levels = models.JSONField(_("risk levels"), default=list, blank=True)
    store_codes = models.JSONField(_("store codes"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    escalation_levels = models.JSONField(_("escalation levels"), default=list, blank=True)
    channels = models.ManyToManyField(
        Channel, verbose_name=_("channels"), related_name="routes", blank=True
    )
    roles = models.JSONField(
        _("roles"), default=list, blank=True, help_text=_("Users with these roles get an email.")
    )
    usernames = models.JSONField(
        _("usernames"), default=list, blank=True, help_text=_("These users get an email.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    managed_by_config = models.BooleanField(
        _("managed by config file"), default=False, editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert route")
        verbose_name_plural = _("alert routes")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    DEFERRED = "deferred", _("Deferred (rate limit)")
    RETRYING = "retrying", _("Waiting to retry")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# Statuses a delivery task may still pick up.
ACTIVE_STATUSES = (Status.PENDING, Status.DEFERRED, Status.RETRYING)


class Notification(models.Model):
    """One alert for one target: the outbox row and, once handled, the delivery log entry."""

    alert_key = models.CharField(_("alert key"), max_length=200)
    target_key = models.CharField(_("target"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    case_number = models.CharField(_("case number"), max_length=20, blank=True, db_index=True)
    risk_level = models.CharField(
        _("risk level"), max_length=10, blank=True, choices=RiskLevel.choices
    )
    alert = models.JSONField(_("alert"), default=dict)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    response = models.TextField(_("vendor's answer"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("sent in digest"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("delivery log")
        constraints = [
            models.UniqueConstraint(
                fields=["alert_key", "target_key"], name="notification_once_per_alert_and_target"
            ),
        ]
        indexes = [
            # the requeue sweeper and the rate-limit digest both look up by status and due time
            models.Index(fields=["status", "next_attempt_at"], name="notification_status_due"),
            models.Index(
                fields=["channel", "status", "created_at"], name="notification_chan_status"
            ),
        ]
        permissions = [("retry_notification", _("Can retry a failed notification"))]

    def __str__(self) -> str:
        return f"{self.alert_key} → {self.target_key}"
