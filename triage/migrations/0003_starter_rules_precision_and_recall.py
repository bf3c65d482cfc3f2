"""Formerly the second edition of the starter rules as data. The rules now live in the data files
of `triage/rules/` (`manage.py triage_load_rules`); this migration stays so that the migration
history of existing databases is unchanged.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("triage", "0002_starter_rules")]
    operations = []
