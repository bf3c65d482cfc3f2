"""`manage.py triage_export_rules DIR`: the database's rules (admin edits included) as rule files."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from triage.services import triage_rules_export


class Command(BaseCommand):
    help = _(
        "Write the current triage rules, admin edits included, as rule files (ruleset.yaml and "
        "signals/*.yaml), so that an edit can be reviewed as a diff of triage/rules/."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, **options):
        written = triage_rules_export(directory=options["directory"])
        self.stdout.write(_("%(count)d files written.") % {"count": len(written)})
