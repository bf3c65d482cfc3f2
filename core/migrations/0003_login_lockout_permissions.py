"""Supervisors unlock accounts locked after too many failed logins (django-axes' admin)."""

from django.db import migrations

from core.permissions import grant_permissions

MATRIX = {
    "supervisor": ["view_accessattempt", "delete_accessattempt", "view_accesslog"],
    "manager": ["view_accessattempt", "view_accesslog"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "axes", MATRIX)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_roles"), ("axes", "0010_accessattemptexpiration")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
