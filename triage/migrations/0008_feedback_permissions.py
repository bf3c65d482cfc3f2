"""Who may read the risk feedback handlers leave (permissions only)."""

from django.db import migrations

from core.permissions import grant_permissions

ROLE_MATRIX = {
    "handler": ["view_triagefeedback"],
    "supervisor": ["view_triagefeedback"],
    "manager": ["view_triagefeedback"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "triage", ROLE_MATRIX)


class Migration(migrations.Migration):
    dependencies = [("triage", "0007_rules_as_data_and_feedback")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
