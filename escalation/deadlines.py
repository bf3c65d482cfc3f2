"""SLA deadline arithmetic: pure functions of plain values and a `now` argument.

Contract (the rest of the SLA engine relies on it):

- A clock starts at `started_at` (the case's `received_at`, or the reopening time for a new close
  clock) and is due `target` of *counted* time later. Counted time is wall time on a 24×7 policy
  (`calendar=None`) or working time on a `WorkingCalendar` (working hours on working days, where
  public holidays are off and make-up working days (调休) are on even at the weekend).
- The warning falls when `warning_ratio` of the window has been counted (75% by default).
- Ladder level N falls `offset` of counted time after the due time (level 1 usually at offset 0,
  i.e. at the breach itself). Levels are a ladder: reaching level N means every lower level has
  been reached too, so a lower level whose own time is later than a higher level's fires together
  with that higher level (its effective time is the earliest time of itself and every level
  above it). Each level is still crossed, recorded and alerted once.
- Raising the risk re-times a running clock under the stricter policy but never makes any
  threshold later than it was (`retime` takes the element-wise earlier time).
- A threshold whose time has already passed is due at once: nothing here ever skips one; the
  caller records crossings once and fires every uncrossed threshold whose time is `<= now`.

Nothing here reads the clock or the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WARNING = "warning"
BREACH = "breach"

# Enough to cross any realistic run of holidays; a calendar with no working day at all fails fast.
_MAX_DAYS_SCANNED = 366 * 3


def level_threshold(level: int) -> str:
    return f"level_{level}"


@dataclass(frozen=True)
class WorkingCalendar:
    """Working hours on working days in one time zone. `weekdays` uses Monday = 0."""

    tz: ZoneInfo
    day_start: time
    day_end: time
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days (调休), usually a weekend day

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise ValueError("the working day must end after it starts")

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.day_start, tzinfo=self.tz),
            datetime.combine(day, self.day_end, tzinfo=self.tz),
        )

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when `amount` of working time has passed since `start`."""
        _require_aware(start)
        if amount <= timedelta(0):
            return start
        remaining = amount
        cursor = start.astimezone(self.tz)
        day = cursor.date()
        for _ in range(_MAX_DAYS_SCANNED):
            if self.is_working_day(day):
                opens, closes = self._window(day)
                cursor = max(cursor, opens)
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return cursor + remaining
                    remaining -= available
            day += timedelta(days=1)
            cursor = datetime.combine(day, time.min, tzinfo=self.tz)
        raise ValueError("the calendar has no working time in the next three years")

    def counted(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (zero when `end` is not after `start`)."""
        _require_aware(start)
        _require_aware(end)
        total = timedelta(0)
        if end <= start:
            return total
        cursor = start.astimezone(self.tz)
        end = end.astimezone(self.tz)
        day = cursor.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens, closes = self._window(day)
                lo, hi = max(cursor, opens), min(end, closes)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total


def add_time(start: datetime, amount: timedelta, calendar: WorkingCalendar | None) -> datetime:
    """`start + amount` in counted time: wall time when there is no calendar (24×7)."""
    _require_aware(start)
    if calendar is None:
        return start + amount
    return calendar.add(start, amount)


@dataclass(frozen=True)
class LadderStep:
    level: int
    offset: timedelta  # counted time after the due time
    audience: tuple[str, ...] = ()


@dataclass(frozen=True)
class LadderTime:
    level: int
    at: datetime
    audience: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClockTimes:
    started_at: datetime
    warn_at: datetime | None
    due_at: datetime
    ladder: tuple[LadderTime, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Threshold:
    name: str  # "warning", "breach" or "level_N"
    at: datetime
    level: int | None = None
    audience: tuple[str, ...] = ()


def clock_times(
    *,
    started_at: datetime,
    target: timedelta,
    warning_ratio: float | None,
    ladder: list[LadderStep] | tuple[LadderStep, ...] = (),
    calendar: WorkingCalendar | None = None,
) -> ClockTimes:
    """When a clock started at `started_at` warns, breaches and reaches each ladder level."""
    _require_aware(started_at)
    if target <= timedelta(0):
        raise ValueError("an SLA target must be positive")
    due_at = add_time(started_at, target, calendar)
    warn_at = None
    if warning_ratio is not None and 0 < warning_ratio < 1:
        warn_at = add_time(started_at, target * warning_ratio, calendar)
    steps = tuple(
        LadderTime(level=s.level, at=add_time(due_at, s.offset, calendar), audience=s.audience)
        for s in sorted(ladder, key=lambda s: s.level)
    )
    return ClockTimes(started_at=started_at, warn_at=warn_at, due_at=due_at, ladder=steps)


def retime(current: ClockTimes, stricter: ClockTimes) -> ClockTimes:
    """Times under a stricter policy, never later than they were (element-wise earliest).

    Ladder levels present in only one of the two are kept; a level in both takes the earlier
    time and the wider audience.
    """
    warn_candidates = [t for t in (current.warn_at, stricter.warn_at) if t is not None]
    levels: dict[int, LadderTime] = {step.level: step for step in current.ladder}
    for step in stricter.ladder:
        old = levels.get(step.level)
        if old is None:
            levels[step.level] = step
        else:
            audience = tuple(dict.fromkeys((*old.audience, *step.audience)))
            levels[step.level] = LadderTime(step.level, min(old.at, step.at), audience)
    return ClockTimes(
        started_at=current.started_at,
        warn_at=min(warn_candidates) if warn_candidates else None,
        due_at=min(current.due_at, stricter.due_at),
        ladder=tuple(levels[level] for level in sorted(levels)),
    )


def thresholds(times: ClockTimes, *, ladder_stopped_after: int | None = None) -> list[Threshold]:
    """Every threshold of a clock in time order.

    `ladder_stopped_after` is the level at which someone acknowledged the escalation: higher
    levels are left out (the acknowledgement stops the ladder for this clock).
    """
    found: list[Threshold] = []
    if times.warn_at is not None and times.warn_at < times.due_at:
        found.append(Threshold(WARNING, times.warn_at))
    found.append(Threshold(BREACH, times.due_at))
    steps = [
        step
        for step in sorted(times.ladder, key=lambda s: s.level)
        if ladder_stopped_after is None or step.level <= ladder_stopped_after
    ]
    # Crossing a level crosses every level below it that has not fired yet (e.g. the red close
    # clock: level 3 at breach + 1 h comes before level 2 at breach + 4 h, so level 2 fires
    # with level 3). Walk down from the top keeping the earliest time seen so far.
    earliest: datetime | None = None
    for step in reversed(steps):
        earliest = step.at if earliest is None else min(earliest, step.at)
        found.append(
            Threshold(
                level_threshold(step.level), earliest, level=step.level, audience=step.audience
            )
        )
    # Breach before level 1 when they coincide; levels in order.
    order = {WARNING: 0, BREACH: 1}
    return sorted(found, key=lambda t: (t.at, order.get(t.name, 2), t.level or 0))


def due_now(
    all_thresholds: list[Threshold], *, crossed: set[str] | frozenset[str], now: datetime
) -> list[Threshold]:
    """Thresholds not yet crossed whose time has come (all of them when a clock is backdated)."""
    _require_aware(now)
    return [t for t in all_thresholds if t.name not in crossed and t.at <= now]


def next_check_at(
    all_thresholds: list[Threshold], *, crossed: set[str] | frozenset[str]
) -> datetime | None:
    """When the sweeper must next look at this clock; None when nothing is left."""
    pending = [t.at for t in all_thresholds if t.name not in crossed]
    return min(pending) if pending else None


def remaining_seconds(due_at: datetime, now: datetime) -> int:
    """Whole seconds left until the due time; negative when overdue."""
    _require_aware(due_at)
    _require_aware(now)
    return math.floor((due_at - now).total_seconds())


def lateness(due_at: datetime, stopped_at: datetime) -> timedelta:
    """By how much a clock was late when it was met (zero when on time)."""
    return max(stopped_at - due_at, timedelta(0))


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("aware datetimes only")
