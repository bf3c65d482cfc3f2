"""SLA deadline maths as tables: no database, no clock."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation.deadlines import (
    BREACH,
    WARNING,
    ClockTimes,
    LadderStep,
    LadderTime,
    WorkingCalendar,
    clock_times,
    due_now,
    lateness,
    next_check_at,
    remaining_seconds,
    retime,
    thresholds,
)

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


# 9:00–18:00 Monday to Friday, with the 2026 National Day holiday (1–7 Oct, make-up Sat 10 Oct)
# and the Spring Festival's make-up Saturday (14 Feb).
CN = WorkingCalendar(
    tz=SH,
    day_start=time(9),
    day_end=time(18),
    holidays=frozenset(date(2026, 10, 1) + timedelta(days=i) for i in range(7))
    | frozenset(date(2026, 2, 15) + timedelta(days=i) for i in range(9)),
    workdays=frozenset({date(2026, 10, 10), date(2026, 2, 14)}),
)

LADDER = (
    LadderStep(level=1, offset=0 * M, audience=("supervisor",)),
    LadderStep(level=2, offset=30 * M, audience=("manager",)),
)


@pytest.mark.parametrize(
    ("started", "target", "calendar", "warn", "due"),
    [
        # 24×7: wall time
        ("2026-03-02 10:00", 1 * H, None, "2026-03-02 10:45", "2026-03-02 11:00"),
        ("2026-03-02 23:30", 1 * H, None, "2026-03-03 00:15", "2026-03-03 00:30"),
        ("2026-03-02 10:00", 24 * H, None, "2026-03-03 04:00", "2026-03-03 10:00"),
        # working hours: inside the day, before opening, after closing, across the weekend
        ("2026-03-02 09:00", 1 * H, CN, "2026-03-02 09:45", "2026-03-02 10:00"),
        ("2026-03-02 07:00", 1 * H, CN, "2026-03-02 09:45", "2026-03-02 10:00"),
        ("2026-03-02 20:00", 1 * H, CN, "2026-03-03 09:45", "2026-03-03 10:00"),
        ("2026-03-06 17:30", 1 * H, CN, "2026-03-09 09:15", "2026-03-09 09:30"),
        # 24 working hours at 9 hours a day: two full days and 6 hours
        ("2026-03-02 09:00", 24 * H, CN, "2026-03-03 18:00", "2026-03-04 15:00"),
        # a public holiday is skipped: 30 Sep (Wed) evening -> 8 Oct (Thu)
        ("2026-09-30 17:30", 1 * H, CN, "2026-10-08 09:15", "2026-10-08 09:30"),
        # a make-up working day counts although it is a Saturday: 9 Oct (Fri) -> 10 Oct (Sat)
        ("2026-10-09 17:30", 1 * H, CN, "2026-10-10 09:15", "2026-10-10 09:30"),
        ("2026-02-13 17:30", 1 * H, CN, "2026-02-14 09:15", "2026-02-14 09:30"),
        # complaint received during the holiday: counting starts on the first working day
        ("2026-10-03 12:00", 1 * H, CN, "2026-10-08 09:45", "2026-10-08 10:00"),
    ],
)
def test_due_and_warning_times_follow_the_calendar(started, target, calendar, warn, due):
    times = clock_times(
        started_at=at(started), target=target, warning_ratio=0.75, calendar=calendar
    )

    assert (times.warn_at, times.due_at) == (at(warn), at(due))


@pytest.mark.parametrize(
    ("received", "now", "target", "left"),
    [
        # received by phone 50 minutes ago: 10 minutes left
        ("2026-03-02 10:00", "2026-03-02 10:50", 1 * H, 600),
        # received 2 hours ago: overdue by an hour
        ("2026-03-02 10:00", "2026-03-02 12:00", 1 * H, -3600),
        ("2026-03-02 10:00", "2026-03-02 10:00", 24 * H, 86400),
    ],
)
def test_a_backdated_complaint_has_only_the_rest_of_its_window(received, now, target, left):
    times = clock_times(started_at=at(received), target=target, warning_ratio=0.75)

    assert remaining_seconds(times.due_at, at(now)) == left


@pytest.mark.parametrize(
    ("received", "now", "expected"),
    [
        ("2026-03-02 10:00", "2026-03-02 10:44", []),
        ("2026-03-02 10:00", "2026-03-02 10:45", [WARNING]),
        ("2026-03-02 10:00", "2026-03-02 11:00", [WARNING, BREACH, "level_1"]),
        # backdated two hours: every threshold that already passed is due at once
        ("2026-03-02 08:00", "2026-03-02 10:00", [WARNING, BREACH, "level_1", "level_2"]),
    ],
)
def test_thresholds_already_passed_are_due_at_once(received, now, expected):
    times = clock_times(started_at=at(received), target=1 * H, warning_ratio=0.75, ladder=LADDER)

    due = due_now(thresholds(times), crossed=set(), now=at(now))

    assert [t.name for t in due] == expected


@pytest.mark.parametrize(
    ("crossed", "expected"),
    [
        (set(), "2026-03-02 10:45"),
        ({WARNING}, "2026-03-02 11:00"),
        ({WARNING, BREACH, "level_1"}, "2026-03-02 11:30"),
        ({WARNING, BREACH, "level_1", "level_2"}, None),
    ],
)
def test_the_next_check_is_the_earliest_threshold_not_yet_crossed(crossed, expected):
    times = clock_times(
        started_at=at("2026-03-02 10:00"), target=1 * H, warning_ratio=0.75, ladder=LADDER
    )

    found = next_check_at(thresholds(times), crossed=crossed)

    assert found == (at(expected) if expected else None)


def test_acknowledging_level_one_leaves_out_the_higher_levels():
    times = clock_times(
        started_at=at("2026-03-02 10:00"), target=1 * H, warning_ratio=0.75, ladder=LADDER
    )

    names = [t.name for t in thresholds(times, ladder_stopped_after=1)]

    assert names == [WARNING, BREACH, "level_1"]


def test_ladder_offsets_are_counted_in_the_calendar():
    times = clock_times(
        started_at=at("2026-03-06 16:45"),
        target=1 * H,
        warning_ratio=None,
        ladder=LADDER,
        calendar=CN,
    )

    assert [(s.level, s.at) for s in times.ladder] == [
        (1, at("2026-03-06 17:45")),
        (2, at("2026-03-09 09:15")),
    ]


def test_reopening_starts_a_new_close_window_from_the_reopening():
    reopened = at("2026-03-05 15:00")

    times = clock_times(started_at=reopened, target=24 * H, warning_ratio=0.75)

    assert (times.started_at, times.due_at) == (reopened, at("2026-03-06 15:00"))


@pytest.mark.parametrize(
    ("current_due", "stricter_due", "expected_due"),
    [
        # raised to a stricter target: earlier
        ("2026-03-03 10:00", "2026-03-02 22:00", "2026-03-02 22:00"),
        # the "stricter" policy would be later (e.g. a calendar): never later than it was
        ("2026-03-02 11:00", "2026-03-02 12:00", "2026-03-02 11:00"),
    ],
)
def test_raising_the_risk_never_makes_a_clock_later(current_due, stricter_due, expected_due):
    start = at("2026-03-02 10:00")
    current = ClockTimes(start, None, at(current_due), (LadderTime(1, at(current_due)),))
    stricter = ClockTimes(
        start,
        None,
        at(stricter_due),
        (LadderTime(1, at(stricter_due)), LadderTime(3, at(stricter_due) + H, ("legal_pr",))),
    )

    merged = retime(current, stricter)

    assert merged.due_at == at(expected_due)
    assert [(s.level, s.at) for s in merged.ladder] == [
        (1, at(expected_due)),
        (3, at(stricter_due) + H),
    ]


@pytest.mark.parametrize(
    ("due", "stopped", "late"),
    [
        ("2026-03-02 11:00", "2026-03-02 10:59", timedelta(0)),
        ("2026-03-02 11:00", "2026-03-02 11:25", 25 * M),
    ],
)
def test_a_clock_met_late_says_by_how_much(due, stopped, late):
    assert lateness(at(due), at(stopped)) == late


@pytest.mark.parametrize(
    ("start", "end", "counted"),
    [
        ("2026-03-06 17:00", "2026-03-09 10:00", 2 * H),
        ("2026-09-30 17:00", "2026-10-08 09:30", 90 * M),
        ("2026-03-02 12:00", "2026-03-02 11:00", timedelta(0)),
    ],
)
def test_counted_working_time_between_two_instants(start, end, counted):
    assert CN.counted(at(start), at(end)) == counted


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        clock_times(started_at=datetime(2026, 3, 2, 10), target=H, warning_ratio=0.75)  # noqa: DTZ001


RED_CLOSE_LADDER = (
    LadderStep(level=1, offset=0 * H, audience=("supervisor",)),
    LadderStep(level=2, offset=4 * H, audience=("manager",)),
    LadderStep(level=3, offset=1 * H, audience=("manager", "legal_pr")),
)


@pytest.mark.parametrize(
    ("now", "crossed", "expected"),
    [
        # red close clock received 2 Mar 10:00: breach 3 Mar 10:00, level 3 at 11:00, level 2 at 14:00
        ("2026-03-03 10:59", {WARNING, BREACH, "level_1"}, []),
        # level 3 comes first and brings level 2 with it, lower level first
        ("2026-03-03 11:00", {WARNING, BREACH, "level_1"}, ["level_2", "level_3"]),
        # at level 2's own time nothing is left: each level fires once
        ("2026-03-03 14:00", {WARNING, BREACH, "level_1", "level_2", "level_3"}, []),
    ],
)
def test_a_level_due_before_a_lower_one_fires_every_level_up_to_it(now, crossed, expected):
    times = clock_times(
        started_at=at("2026-03-02 10:00"),
        target=24 * H,
        warning_ratio=0.75,
        ladder=RED_CLOSE_LADDER,
    )

    due = due_now(thresholds(times), crossed=crossed, now=at(now))

    assert [t.name for t in due] == expected


def test_once_level_two_is_acknowledged_level_three_is_left_out_and_level_two_keeps_its_time():
    times = clock_times(
        started_at=at("2026-03-02 10:00"), target=24 * H, warning_ratio=None,
        ladder=RED_CLOSE_LADDER,
    )  # fmt: skip

    found = {t.name: t.at for t in thresholds(times, ladder_stopped_after=2)}

    assert found == {
        BREACH: at("2026-03-03 10:00"),
        "level_1": at("2026-03-03 10:00"),
        "level_2": at("2026-03-03 14:00"),
    }
