"""`manage.py triage_eval FILE.csv [--json] [--rules-only] [--errors]`."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from triage.evaluation import evaluate, format_report
from triage.selectors import triage_text
from triage.services import read_labelled_csv


class Command(BaseCommand):
    help = _(
        "Evaluate triage on a CSV with columns text and level (optional channel, category): "
        "per-level precision, recall, F1, support and the confusion matrix."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help=_("Print one JSON object."))
        parser.add_argument(
            "--rules-only", action="store_true", help=_("Ignore the trained model.")
        )
        parser.add_argument(
            "--errors", action="store_true", help=_("Also list the texts that were misjudged.")
        )

    def handle(self, *args, **options):
        try:
            rows = read_labelled_csv(options["file"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if not rows:
            raise CommandError(_("The file has no rows."))
        pairs, errors = [], []
        for row in rows:
            result = triage_text(
                text=row["text"],
                channel=row["channel"],
                category=row["category"],
                use_model=not options["rules_only"],
            )
            pairs.append((row["level"], result.level))
            if result.level != row["level"]:
                errors.append((row["level"], result.level, row["text"], result.reason_text))
        report = evaluate(pairs)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        mode = _("rules only") if options["rules_only"] else _("rules + model (if trained)")
        self.stdout.write(format_report(report, title=f"{options['file']} — {mode}"))
        if options["errors"]:
            self.stdout.write("")
            for gold, predicted, text, reasons in errors:
                self.stdout.write(f"[{gold} -> {predicted}] {text}  ({reasons})")
