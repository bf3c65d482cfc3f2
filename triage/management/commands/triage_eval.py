"""`manage.py triage_eval FILE|DIR [--json] [--rules-only] [--errors]`."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from triage.engine import LEVEL_ORDER
from triage.evaluation import evaluate, format_report
from triage.selectors import triage_text
from triage.services import read_labelled_csv

WORST = 20
COMPONENTS = ("rules", "model", "combined")


class Command(BaseCommand):
    help = _(
        "Evaluate triage on a labelled CSV or JSON Lines file (or a directory of them): per-level "
        "precision, recall, F1, support, the confusion matrix and the worst errors; for rules, "
        "the model and both combined."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help=_("Print one JSON object."))
        parser.add_argument(
            "--rules-only", action="store_true", help=_("Ignore the trained model.")
        )
        parser.add_argument(
            "--errors",
            action="store_true",
            help=_("List every misjudged text, not only the worst."),
        )

    def handle(self, *args, **options):
        try:
            rows = read_labelled_csv(options["file"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if not rows:
            raise CommandError(_("The file has no rows."))
        pairs = {name: [] for name in COMPONENTS}
        errors = []
        for row in rows:
            result = triage_text(
                text=row["text"],
                channel=row["channel"],
                category=row["category"],
                use_model=not options["rules_only"],
            )
            pairs["rules"].append((row["level"], result.rule_level))
            pairs["combined"].append((row["level"], result.level))
            if result.model_level:
                pairs["model"].append((row["level"], result.model_level))
            if result.level != row["level"]:
                distance = abs(LEVEL_ORDER[result.level] - LEVEL_ORDER[row["level"]])
                # Worst first: two levels off, then a red missed, then the rest.
                severity = (distance, row["level"] == "red", len(row["text"]) < 60)
                errors.append((severity, row, result))
        report = evaluate(pairs["combined"])
        report["by_component"] = {
            name: evaluate(component) for name, component in pairs.items() if component
        }
        errors.sort(key=lambda e: e[0], reverse=True)
        shown = errors if options["errors"] else errors[:WORST]
        if options["json"]:
            report["worst_errors"] = [
                {
                    "text": row["text"],
                    "expected": row["level"],
                    "predicted": result.level,
                    "reasons": result.reason_text,
                    "source": row.get("source", ""),
                }
                for _severity, row, result in errors[:WORST]
            ]
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        mode = _("rules only") if options["rules_only"] else _("rules + model (if trained)")
        self.stdout.write(format_report(report, title=f"{options['file']} — {mode}"))
        for name, component in report["by_component"].items():
            red = component["per_level"]["red"]
            self.stdout.write(
                f"{name:<9} red P {red['precision']:.3f}  R {red['recall']:.3f}  "
                f"F1 {red['f1']:.3f}  accuracy {component['accuracy']:.3f}"
            )
        if shown:
            self.stdout.write("")
            self.stdout.write(
                _("Misjudged texts (%(shown)d of %(total)d, worst first):")
                % {"shown": len(shown), "total": len(errors)}
            )
            for _severity, row, result in shown:
                self.stdout.write(
                    f"[{row['level']} -> {result.level}] {row['text']}  ({result.reason_text})"
                )
