from django.db import migrations

from core.permissions import grant_permissions

_WORK = ["respond_case", "resolve_case", "close_case", "set_case_risk", "assign_case"]
MATRIX = {
    "store_staff": ["view_case", "add_case", "add_case_note", "add_case_attachment"],
    "handler": [
        "view_case", "view_all_cases", "add_case", "change_case", "view_customer_pii",
        "add_case_note", "add_case_attachment", "view_caseevent", "view_attachment",
        "respond_case", "resolve_case", "close_case", "set_case_risk",
    ],
    "supervisor": [
        "view_case", "view_all_cases", "add_case", "change_case", "view_customer_pii",
        "add_case_note", "add_case_attachment", "view_caseevent", "view_attachment",
        *_WORK, "reopen_case", "merge_case", "reject_case", "archive_case",
    ],
    "legal_pr": [
        "view_case", "view_all_cases", "view_customer_pii", "add_case_note",
        "view_caseevent", "view_attachment",
    ],
    "manager": ["view_case", "view_all_cases", "add_case_note", "view_caseevent", "view_attachment"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, "cases", MATRIX)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("core", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
