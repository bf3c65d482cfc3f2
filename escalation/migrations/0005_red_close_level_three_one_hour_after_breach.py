"""Red cases reach ladder level 3 one hour after the breach on the close clock too (issue 4:
"level 3 for red cases at breach + 1 hour"), no longer one hour after level 2.

Only the red policy for every category and channel is changed, and only if its step still has
the old default offset (an administrator's own choice is left alone). Level 3 now comes before level 2 (+4 h) on the
close clock; crossing level 3 fires level 2 as well (see escalation/deadlines.py).
"""

from datetime import timedelta

from django.db import migrations

OLD, NEW = timedelta(hours=5), timedelta(hours=1)


def _move(apps, before, after):
    LadderStep = apps.get_model("escalation", "LadderStep")
    LadderStep.objects.filter(
        policy__risk_level="red",
        policy__category="",
        policy__channel="",
        clock_kind="close",
        level=3,
        offset=before,
    ).update(offset=after)


def forwards(apps, schema_editor):
    _move(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _move(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0004_constraint_messages"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
