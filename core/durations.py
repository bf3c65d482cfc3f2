"""Durations as people read them, in their language: `1 小时`, `24 小时`, `1 天 2 小时`,
`45 分钟` — never Python's `1 day, 0:00:00`. Pure."""

from datetime import timedelta

from django.utils.translation import ngettext


def human_duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 60 * 24)
    hours, minutes = divmod(rest, 60)
    parts = []
    # A whole number of days under a week reads better in hours (a 24-hour close target).
    if days and (days >= 7 or hours or minutes):
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    else:
        hours += days * 24
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)
