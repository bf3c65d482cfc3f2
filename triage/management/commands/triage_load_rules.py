"""`manage.py triage_load_rules [--dir DIR] [--force]`: the shipped rule files into the database."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from triage.rulefiles import RulesFileError
from triage.services import triage_rules_load


class Command(BaseCommand):
    help = _(
        "Load the shipped triage rules (triage/rules/) idempotently: unchanged files change "
        "nothing, signals edited in the admin are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", help=_("Rules directory; default: the shipped one."))
        parser.add_argument(
            "--force", action="store_true", help=_("Load even when the content is unchanged.")
        )

    def handle(self, *args, **options):
        try:
            report = triage_rules_load(directory=options["dir"], force=options["force"])
        except (OSError, RulesFileError) as exc:
            raise CommandError(str(exc)) from exc
        if not report.changed:
            self.stdout.write(
                _("Triage rules edition %(edition)s already loaded (version %(version)s).")
                % {"edition": report.edition, "version": report.version}
            )
            return
        self.stdout.write(
            _(
                "Triage rules edition %(edition)s loaded as version %(version)s: "
                "%(created)d new, %(updated)d changed, %(retired)d switched off, "
                "%(kept)d edited in the admin and kept (%(kept_codes)s)."
            )
            % {
                "edition": report.edition,
                "version": report.version,
                "created": len(report.created),
                "updated": len(report.updated),
                "retired": len(report.retired),
                "kept": len(report.kept_overridden),
                "kept_codes": ", ".join(report.kept_overridden) or "-",
            }
        )
