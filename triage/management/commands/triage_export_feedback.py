"""`manage.py triage_export_feedback [--output FILE]`: handlers' risk changes as corpus rows."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from triage.services import triage_feedback_rows


class Command(BaseCommand):
    help = _(
        "Write the risk levels handlers set on cases as corpus rows (JSON Lines) for the next "
        "training, e.g. into data/triage_corpus/train/feedback.jsonl. Texts of the blind split "
        "are left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help=_("File to write; default: standard output."))

    def handle(self, *args, **options):
        rows = triage_feedback_rows()
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        if options["output"]:
            try:
                Path(options["output"]).write_text(lines, encoding="utf-8")
            except OSError as exc:
                raise CommandError(str(exc)) from exc
            self.stderr.write(
                _("%(count)d rows written to %(path)s.")
                % {"count": len(rows), "path": options["output"]}
            )
        else:
            self.stdout.write(lines, ending="")
