from django.db import migrations

from core.permissions import grant_permissions

# Supervisors watch the delivery log and retry failures; channel and route changes stay with
# administrators (superusers), since channels hold credentials.
MATRIX = {
    "supervisor": ["view_channel", "view_route", "view_notification", "retry_notification"],
    "manager": ["view_channel", "view_route", "view_notification"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "notifications", MATRIX)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_channels_routes_outbox"), ("core", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
