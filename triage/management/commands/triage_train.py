"""`manage.py triage_train [--seed FILE] [--no-seed]`: train the learned layer and activate it."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from triage import learned
from triage.services import triage_model_train


class Command(BaseCommand):
    help = _(
        "Train the triage model from the levels handlers settled on plus the seed CSV, "
        "and make it the active model."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", help=_("Seed CSV (text, level); default: the shipped one."))
        parser.add_argument(
            "--no-seed", action="store_true", help=_("Train on settled cases only.")
        )

    def handle(self, *args, **options):
        try:
            model = triage_model_train(seed_path=options["seed"], use_seed=not options["no_seed"])
        except learned.NotEnoughData as exc:
            raise CommandError(
                _("Not enough labelled rows to train (per level: %(counts)s).")
                % {"counts": exc.args[0] if exc.args else {}}
            ) from exc
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Trained model v%(pk)s on %(seed)d seed and %(cases)d case rows: %(counts)s")
            % {
                "pk": model.pk,
                "seed": model.seed_rows,
                "cases": model.case_rows,
                "counts": model.label_counts,
            }
        )
