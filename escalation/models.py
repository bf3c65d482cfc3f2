"""SLA policies, business calendars, clocks, threshold crossings and the escalation ladder.

A clock is a row with its due time; the sweeper (`escalation.tasks.sla_sweep`) finds rows whose
`next_check_at` has come. Each threshold crossing is recorded once (`ClockCrossing`, unique per
clock and threshold) in the same transaction that hands its alert to `notifications`.
"""

from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Case, Category, Channel, RiskLevel
from core.roles import ROLE_LABELS


def default_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class BusinessCalendar(models.Model):
    """Working hours and days in one time zone; public holidays and make-up days are `CalendarDay`s."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    day_start = models.TimeField(_("working day starts"), default=time(9, 0))
    day_end = models.TimeField(_("working day ends"), default=time(18, 0))
    weekdays = models.JSONField(
        _("working weekdays"),
        default=default_weekdays,
        help_text=_("Monday = 0 … Sunday = 6, e.g. [0, 1, 2, 3, 4]."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = _("Unknown time zone.")
        if self.day_start and self.day_end and self.day_end <= self.day_start:
            errors["day_end"] = _("The working day must end after it starts.")
        weekdays = self.weekdays
        if (
            not isinstance(weekdays, list)
            or not weekdays
            or any(
                not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in weekdays
            )
        ):
            errors["weekdays"] = _("Give a non-empty list of numbers from 0 (Monday) to 6.")
        if errors:
            raise ValidationError(errors)


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (day off)")
    WORKDAY = "workday", _("Make-up working day")


class CalendarDay(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="calendarday_unique_date",
                violation_error_message=_("This calendar already has an entry for that date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class SlaPolicy(models.Model):
    """Targets for cases of one risk level, optionally narrowed to a category and/or channel.

    The most specific active policy wins (category and channel both set, then one, then none).
    """

    name = models.CharField(_("name"), max_length=100)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices)
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=Category.choices,
        blank=True,
        help_text=_("Leave empty for every category."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=Channel.choices,
        blank=True,
        help_text=_("Leave empty for every channel."),
    )
    first_response_target = models.DurationField(
        _("first-response target"),
        default=timedelta(hours=1),
        help_text=_("e.g. 01:00:00 for one hour."),
    )
    close_target = models.DurationField(
        _("close target"),
        default=timedelta(hours=24),
        help_text=_("e.g. 1 00:00:00 for 24 hours."),
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning at percent of the window"),
        default=75,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("Leave empty for no pre-breach warning."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        help_text=_("Leave empty to count around the clock (24×7)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["risk_level", "category", "channel"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["risk_level", "category", "channel"],
                condition=Q(is_active=True),
                name="slapolicy_one_active_per_scope",
                violation_error_message=_(
                    "There is already an active policy for this risk level, category and "
                    "channel. Deactivate it first, or narrow this one to another category or "
                    "channel."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        for name in ("first_response_target", "close_target"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                errors[name] = _("The target must be longer than zero.")
        if errors:
            raise ValidationError(errors)
        if self.calendar_id is None:
            return
        # A calendar counts only working time: a long target (or ladder offset) may not be
        # reachable within the maths' three-year horizon. Refuse it here, not at intake.
        steps = list(self.ladder_steps.all()) if self.pk else []
        for name, kind in (
            ("first_response_target", ClockKind.FIRST_RESPONSE),
            ("close_target", ClockKind.CLOSE),
        ):
            offsets = [s.offset for s in steps if s.clock_kind == kind and s.offset is not None]
            if not calendar_can_time(
                calendar=self.calendar, target=getattr(self, name), offsets=offsets
            ):
                errors[name] = UNREACHABLE_MESSAGE
        if errors:
            raise ValidationError(errors)


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    CLOSE = "close", pgettext_lazy("sla clock", "Close the loop")


UNREACHABLE_MESSAGE = _(
    "With this business calendar the deadline (target plus ladder offsets) does not fall within "
    "the next three years. Shorten it, or choose another calendar."
)


def calendar_can_time(*, calendar: BusinessCalendar, target: timedelta, offsets) -> bool:
    """Whether the calendar yields a deadline for `target` and every ladder offset after it."""
    from escalation import deadlines
    from escalation.selectors import working_calendar

    if target is None or target <= timedelta(0):
        return True  # reported by the field's own check
    try:
        deadlines.clock_times(
            started_at=timezone.now(),
            target=target,
            warning_ratio=None,
            ladder=[
                deadlines.LadderStep(level=i + 1, offset=offset) for i, offset in enumerate(offsets)
            ],
            calendar=working_calendar(calendar=calendar),
        )
    except ValueError:
        return False
    return True


class LadderStep(models.Model):
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="ladder_steps"
    )
    clock_kind = models.CharField(_("clock"), max_length=20, choices=ClockKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1)])
    offset = models.DurationField(
        _("time after the breach"),
        default=timedelta(0),
        help_text=_("Counted in the policy's calendar; 00:00:00 = at the breach."),
    )
    audience = models.JSONField(
        _("audience (roles)"),
        default=list,
        blank=True,
        help_text=_('Role names, e.g. ["supervisor"], ["manager", "legal_pr"].'),
    )

    class Meta:
        ordering = ["policy", "clock_kind", "level"]
        verbose_name = _("escalation ladder step")
        verbose_name_plural = _("escalation ladder steps")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "clock_kind", "level"],
                name="ladderstep_unique_level",
                violation_error_message=_("This policy already has this level for this clock."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.get_clock_kind_display()} {level_label(self.level)}"

    def clean(self) -> None:
        if self.offset is not None and self.offset < timedelta(0):
            raise ValidationError({"offset": _("The offset cannot be negative.")})
        policy = self.policy if self.policy_id or _has_cached_policy(self) else None
        if policy is not None and policy.calendar_id is not None and self.offset is not None:
            target = (
                policy.first_response_target
                if self.clock_kind == ClockKind.FIRST_RESPONSE
                else policy.close_target
            )
            if not calendar_can_time(
                calendar=policy.calendar, target=target, offsets=[self.offset]
            ):
                raise ValidationError({"offset": UNREACHABLE_MESSAGE})
        if not isinstance(self.audience, list) or any(r not in ROLE_LABELS for r in self.audience):
            raise ValidationError(
                {
                    "audience": _("Give a list of role names: %(roles)s.")
                    % {"roles": ", ".join(ROLE_LABELS)}
                }
            )


def _has_cached_policy(step: "LadderStep") -> bool:
    # An admin inline's step points at its policy before the policy is saved (no policy_id yet).
    return LadderStep.policy.is_cached(step) and step.policy is not None


def level_label(level: int) -> str:
    """ "L2": the short label of an escalation level, as the desk says it."""
    return _("L%(level)d") % {"level": level}


def role_labels(roles) -> str:
    """Role names as their translated labels, e.g. "Manager, Legal / PR"."""
    return ", ".join(str(ROLE_LABELS.get(role, role)) for role in roles or ())


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.BREACHED)


class SlaClock(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="sla_clocks"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ClockKind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING
    )
    policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    timed_for_risk = models.CharField(_("timed for risk level"), max_length=10)
    started_at = models.DateTimeField(_("started at"))
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"))
    # [{"level": 1, "at": iso, "audience": [...]}, ...]: computed once, so sweeping needs no policy.
    ladder = models.JSONField(_("ladder times"), default=list, blank=True)
    # The next threshold's time; NULL when nothing is left. The sweeper's only search key.
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True)
    crossed = models.JSONField(_("thresholds crossed"), default=list, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    ladder_stopped_after = models.PositiveSmallIntegerField(
        _("ladder stopped after level"), null=True, blank=True
    )
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    late_seconds = models.PositiveIntegerField(_("late by (seconds)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(state__in=["running", "breached"]),
                name="slaclock_one_open_per_kind",
            )
        ]
        indexes = [
            # Partial: only clocks with something left to do, so a sweep stays flat however
            # many clocks are finished.
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="slaclock_next_check",
            ),
            models.Index(fields=["state", "due_at"], name="slaclock_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()} {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CLOCK_STATES


class ClockCrossing(models.Model):
    """A threshold of a clock that was reached. At most one per (clock, threshold)."""

    clock = models.ForeignKey(
        SlaClock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="crossings"
    )
    threshold = models.CharField(_("threshold"), max_length=20)
    due_at = models.DateTimeField(_("threshold time"))
    crossed_at = models.DateTimeField(_("recorded at"))
    alerted = models.BooleanField(
        _("alert sent"),
        default=True,
        help_text=_("A warning reached together with its breach is recorded but not sent."),
    )

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("threshold crossing")
        verbose_name_plural = _("threshold crossings")
        constraints = [
            models.UniqueConstraint(fields=["clock", "threshold"], name="crossing_unique_threshold")
        ]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.threshold}"


class Escalation(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="escalations"
    )
    clock = models.ForeignKey(
        SlaClock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    reached_at = models.DateTimeField(_("reached at"))
    audience = models.JSONField(_("audience (roles)"), default=list, blank=True)
    notified = models.JSONField(_("alerted"), default=list, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledge_note = models.TextField(_("acknowledgement note"), blank=True)

    class Meta:
        ordering = ["-reached_at", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["clock", "level"], name="escalation_unique_level")
        ]
        permissions = [("acknowledge_escalation", _("Can acknowledge an escalation"))]

    def __str__(self) -> str:
        return f"{self.case.number} {level_label(self.level)}"


class RedAlert(models.Model):
    """The immediate `case_red` alert for a case; one per case."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="red_alert"
    )
    sent_at = models.DateTimeField(_("sent at"))
    notified = models.JSONField(_("alerted"), default=list, blank=True)

    class Meta:
        verbose_name = _("red alert")
        verbose_name_plural = _("red alerts")

    def __str__(self) -> str:
        return f"{self.case.number} {timezone.localtime(self.sent_at):%Y-%m-%d %H:%M}"


class SweeperHeartbeat(models.Model):
    """When the sweeper last finished, for `/healthz`. One row per sweeper name."""

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    last_run_at = models.DateTimeField(_("last run at"))
    last_duration_ms = models.FloatField(_("last duration (ms)"), default=0)
    last_processed = models.PositiveIntegerField(_("clocks processed in the last run"), default=0)

    class Meta:
        verbose_name = _("sweeper heartbeat")
        verbose_name_plural = _("sweeper heartbeats")
        permissions = [("view_system_status", _("Can see the system status"))]

    def __str__(self) -> str:
        return f"{self.name} {self.last_run_at:%H:%M:%S}"
