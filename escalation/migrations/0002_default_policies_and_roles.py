"""Default SLA policies ("1 小时响应 – 24 小时闭环" for every level), their escalation ladders,
a mainland-China business calendar to choose from, and the roles' permissions."""

from datetime import date, time, timedelta

from django.db import migrations

from core.permissions import grant_permissions

H = timedelta(hours=1)
M = timedelta(minutes=1)

# (level, offset after the breach, audience) per clock kind. Level 1 is the breach itself.
LADDERS = {
    "first_response": [(1, 0 * M, ["supervisor"]), (2, 30 * M, ["manager"])],
    "close": [(1, 0 * M, ["supervisor"]), (2, 4 * H, ["manager"])],
}
# Red cases get a third level: one hour after the breach for the response clock. For the close
# clock "+1 h" would fall before level 2 (+4 h), so level 3 comes one hour after level 2 there.
RED_LEVEL_3 = {"first_response": 1 * H, "close": 5 * H}
RED_LEVEL_3_AUDIENCE = ["manager", "legal_pr"]

POLICY_NAMES = {"blue": "Blue — default", "yellow": "Yellow — default", "red": "Red — default"}

# Official schedules of the State Council General Office; add each year's when it is published.
HOLIDAYS = {
    date(2025, 1, 1): "元旦",
    **{date(2025, 1, 28) + timedelta(days=i): "春节" for i in range(8)},
    **{date(2025, 4, 4) + timedelta(days=i): "清明节" for i in range(3)},
    **{date(2025, 5, 1) + timedelta(days=i): "劳动节" for i in range(5)},
    **{date(2025, 5, 31) + timedelta(days=i): "端午节" for i in range(3)},
    **{date(2025, 10, 1) + timedelta(days=i): "国庆节、中秋节" for i in range(8)},
    **{date(2026, 1, 1) + timedelta(days=i): "元旦" for i in range(3)},
    **{date(2026, 2, 15) + timedelta(days=i): "春节" for i in range(9)},
    **{date(2026, 4, 4) + timedelta(days=i): "清明节" for i in range(3)},
    **{date(2026, 5, 1) + timedelta(days=i): "劳动节" for i in range(5)},
    **{date(2026, 6, 19) + timedelta(days=i): "端午节" for i in range(3)},
    **{date(2026, 9, 25) + timedelta(days=i): "中秋节" for i in range(3)},
    **{date(2026, 10, 1) + timedelta(days=i): "国庆节" for i in range(7)},
}
MAKE_UP_WORKDAYS = {
    date(2025, 1, 26): "春节调休",
    date(2025, 2, 8): "春节调休",
    date(2025, 4, 27): "劳动节调休",
    date(2025, 9, 28): "国庆节调休",
    date(2025, 10, 11): "国庆节调休",
    date(2026, 1, 4): "元旦调休",
    date(2026, 2, 14): "春节调休",
    date(2026, 2, 28): "春节调休",
    date(2026, 5, 9): "劳动节调休",
    date(2026, 9, 20): "国庆节调休",
    date(2026, 10, 10): "国庆节调休",
}

_VIEW = [
    "view_slaclock", "view_escalation", "view_slapolicy", "view_ladderstep",
    "view_businesscalendar", "view_calendarday",
]  # fmt: skip
_CONFIGURE = [
    "add_slapolicy", "change_slapolicy", "add_ladderstep", "change_ladderstep",
    "delete_ladderstep", "add_businesscalendar", "change_businesscalendar", "add_calendarday",
    "change_calendarday", "delete_calendarday",
]  # fmt: skip
MATRIX = {
    "handler": _VIEW,
    "supervisor": [*_VIEW, *_CONFIGURE, "acknowledge_escalation", "view_clockcrossing",
                   "view_redalert"],
    "legal_pr": ["view_slaclock", "view_escalation"],
    "manager": [*_VIEW, *_CONFIGURE, "acknowledge_escalation", "view_clockcrossing",
                "view_redalert"],
}  # fmt: skip


def create_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("escalation", "SlaPolicy")
    LadderStep = apps.get_model("escalation", "LadderStep")
    BusinessCalendar = apps.get_model("escalation", "BusinessCalendar")
    CalendarDay = apps.get_model("escalation", "CalendarDay")

    for level, name in POLICY_NAMES.items():
        policy, created = SlaPolicy.objects.get_or_create(
            risk_level=level,
            category="",
            channel="",
            is_active=True,
            defaults={
                "name": name,
                "first_response_target": 1 * H,
                "close_target": 24 * H,
                "warning_percent": 75,
            },
        )
        if not created:
            continue
        for kind, steps in LADDERS.items():
            for step_level, offset, audience in steps:
                LadderStep.objects.create(
                    policy=policy,
                    clock_kind=kind,
                    level=step_level,
                    offset=offset,
                    audience=audience,
                )
            if level == "red":
                LadderStep.objects.create(
                    policy=policy,
                    clock_kind=kind,
                    level=3,
                    offset=RED_LEVEL_3[kind],
                    audience=RED_LEVEL_3_AUDIENCE,
                )

    calendar, created = BusinessCalendar.objects.get_or_create(
        name="中国大陆工作日 9:00–18:00",
        defaults={
            "timezone": "Asia/Shanghai",
            "day_start": time(9, 0),
            "day_end": time(18, 0),
            "weekdays": [0, 1, 2, 3, 4],
        },
    )
    if created:
        CalendarDay.objects.bulk_create(
            [CalendarDay(calendar=calendar, date=d, kind="holiday", name=n)
             for d, n in HOLIDAYS.items()]
            + [CalendarDay(calendar=calendar, date=d, kind="workday", name=n)
               for d, n in MAKE_UP_WORKDAYS.items()]
        )  # fmt: skip


def grant(apps, schema_editor):
    grant_permissions(apps, "escalation", MATRIX)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_sla_engine"), ("core", "0002_roles")]
    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
