"""Reads of the SLA engine: which policy applies, clocks for display, filters, health."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from core.exceptions import InvalidInput
from escalation.deadlines import LadderStep, WorkingCalendar, remaining_seconds
from escalation.models import (
    OPEN_CLOCK_STATES,
    BusinessCalendar,
    ClockState,
    DayKind,
    Escalation,
    SlaClock,
    SlaPolicy,
    SweeperHeartbeat,
)

DUE_SOON = timedelta(minutes=15)
SWEEPER_NAME = "sla"


def sla_policy_for(*, risk_level: str, category: str, channel: str) -> SlaPolicy | None:
    """The most specific active policy: category and channel, then either, then neither."""
    candidates = (
        SlaPolicy.objects.filter(
            is_active=True,
            risk_level=risk_level,
            category__in=[category, ""],
            channel__in=[channel, ""],
        )
        .select_related("calendar")
        .prefetch_related("ladder_steps")
    )
    return max(
        candidates,
        key=lambda p: (bool(p.category) + bool(p.channel), bool(p.category), -p.pk),
        default=None,
    )


def sla_policy_ladder(*, policy: SlaPolicy, clock_kind: str) -> list[LadderStep]:
    return [
        LadderStep(level=s.level, offset=s.offset, audience=tuple(s.audience))
        for s in policy.ladder_steps.all()
        if s.clock_kind == clock_kind
    ]


def working_calendar(*, calendar: BusinessCalendar | None) -> WorkingCalendar | None:
    """The pure-maths view of a calendar; None means 24×7."""
    if calendar is None:
        return None
    days = list(calendar.days.all())
    return WorkingCalendar(
        tz=ZoneInfo(calendar.timezone),
        day_start=calendar.day_start,
        day_end=calendar.day_end,
        weekdays=frozenset(calendar.weekdays),
        holidays=frozenset(d.date for d in days if d.kind == DayKind.HOLIDAY),
        workdays=frozenset(d.date for d in days if d.kind == DayKind.WORKDAY),
    )


def sla_clocks_for_cases(*, case_ids: list[int]) -> dict[int, list[SlaClock]]:
    found: dict[int, list[SlaClock]] = {case_id: [] for case_id in case_ids}
    for clock in SlaClock.objects.filter(case_id__in=case_ids).order_by("started_at", "id"):
        found.setdefault(clock.case_id, []).append(clock)
    return found


def clock_remaining_seconds(*, clock: SlaClock, now: datetime) -> int | None:
    """Seconds left (negative when overdue) for an open clock; None once met or cancelled."""
    if clock.state not in OPEN_CLOCK_STATES:
        return None
    return remaining_seconds(clock.due_at, now)


def case_escalation_level(*, clocks: list[SlaClock]) -> int:
    """A case's current level: the highest reached by a clock that is still open."""
    return max((c.escalation_level for c in clocks if c.is_open), default=0)


def case_sla_api_extra(cases: list[Case]) -> dict[int, dict]:
    """`sla` and `escalation_level` for each case of an API page, in one query."""
    now = timezone.now()
    clocks = sla_clocks_for_cases(case_ids=[c.pk for c in cases])
    return {
        case_id: {
            "sla": [
                {
                    "kind": clock.kind,
                    "due_at": clock.due_at,
                    "state": clock.state,
                    "remaining_seconds": clock_remaining_seconds(clock=clock, now=now),
                }
                for clock in case_clocks
            ],
            "escalation_level": case_escalation_level(clocks=case_clocks),
        }
        for case_id, case_clocks in clocks.items()
    }


def case_filter_breached(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.filter(
        Exists(SlaClock.objects.filter(case=OuterRef("pk"), state=ClockState.BREACHED))
    )


def case_filter_due_soon(queryset: QuerySet[Case], *, now: datetime) -> QuerySet[Case]:
    """Running clocks due within 15 minutes, not yet overdue."""
    return queryset.filter(
        Exists(
            SlaClock.objects.filter(
                case=OuterRef("pk"),
                state=ClockState.RUNNING,
                due_at__gt=now,
                due_at__lte=now + DUE_SOON,
            )
        )
    )


def case_filter_escalated(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.filter(
        Exists(
            SlaClock.objects.filter(
                case=OuterRef("pk"), state__in=OPEN_CLOCK_STATES, escalation_level__gt=0
            )
        )
    )


SLA_FILTER_VALUES = ("breached", "due_soon")


def case_sla_list_filter(queryset: QuerySet[Case], value: str) -> QuerySet[Case]:
    """`?sla=breached|due_soon` on the case list."""
    if value == "breached":
        return case_filter_breached(queryset)
    if value == "due_soon":
        return case_filter_due_soon(queryset, now=timezone.now())
    raise InvalidInput(
        fields={"sla": _("Choose one of: %(values)s.") % {"values": ", ".join(SLA_FILTER_VALUES)}}
    )


def escalations_for_case(*, case: Case) -> QuerySet[Escalation]:
    return case.escalations.select_related("clock", "acknowledged_by").order_by("reached_at", "id")


def case_escalation_levels(*, case_ids: list[int]) -> dict[int, int]:
    rows = (
        SlaClock.objects.filter(case_id__in=case_ids, state__in=OPEN_CLOCK_STATES)
        .values("case_id")
        .annotate(level=Max("escalation_level"))
    )
    return {row["case_id"]: row["level"] for row in rows}


def notification_target_labels(*, keys: list[str]) -> dict[str, str]:
    """Readable names for the target keys an escalation records (`user:<id>`, `channel:<id>`):
    a user's full name or username, a channel's name. Unknown or deleted targets keep their key."""
    from django.contrib.auth import get_user_model

    from notifications.models import Channel

    ids: dict[str, set[int]] = {"user": set(), "channel": set()}
    for key in keys:
        kind, _sep, pk = key.partition(":")
        if kind in ids and pk.isdigit():
            ids[kind].add(int(pk))
    labels = {key: key for key in keys}
    for user in get_user_model().objects.filter(pk__in=ids["user"]):
        labels[f"user:{user.pk}"] = user.get_full_name() or user.get_username()
    for pk, name in Channel.objects.filter(pk__in=ids["channel"]).values_list("pk", "name"):
        labels[f"channel:{pk}"] = name
    return labels


def sweeper_last_run() -> SweeperHeartbeat | None:
    return SweeperHeartbeat.objects.filter(name=SWEEPER_NAME).first()
