"""Who may use triage. (This migration also created the starter rules until they moved to the
data files in `triage/rules/`, loaded by `manage.py triage_load_rules` and after every migrate;
migrations now hold schema and permissions only.)
"""

from django.db import migrations

from core.permissions import grant_permissions

ROLE_MATRIX = {
    "store_staff": ["preview_triage"],
    "handler": ["preview_triage", "view_triagerun", "view_signal", "view_pattern", "view_ruleset"],
    "supervisor": [
        "preview_triage", "view_triagerun", "view_ruleset", "change_ruleset",
        "view_signal", "add_signal", "change_signal", "delete_signal",
        "view_pattern", "add_pattern", "change_pattern", "delete_pattern",
        "view_rulesetsnapshot", "view_triagemodel",
    ],
    "legal_pr": ["preview_triage", "view_triagerun", "view_signal", "view_pattern"],
    "manager": ["preview_triage", "view_triagerun", "view_signal", "view_pattern", "view_ruleset"],
}  # fmt: skip


def grant(apps, schema_editor):
    grant_permissions(apps, "triage", ROLE_MATRIX)


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_rules_runs_models"), ("core", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
