"""`manage.py load_alert_config FILE`: channels and routes from YAML (or JSON); idempotent."""

import os
import sys

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from notifications.services import alert_config_load


class Command(BaseCommand):
    help = (
        "Load alert channels and routes from a YAML or JSON file (loading twice changes nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="YAML or JSON file; '-' reads standard input")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Delete channels and routes loaded from a file earlier that this file no longer has.",
        )

    def handle(self, *args, **options):
        path = options["file"]
        try:
            if path == "-":
                data = yaml.safe_load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as handle:
                    data = yaml.safe_load(handle)
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
            ) from exc
        except yaml.YAMLError as exc:
            raise CommandError(_("Not valid YAML/JSON: %(error)s") % {"error": exc}) from exc
        try:
            summary = alert_config_load(data=data, environ=os.environ, prune=options["prune"])
        except InvalidInput as exc:
            lines = [str(exc.message)] + [f"  {path}: {msg}" for path, msg in exc.fields.items()]
            raise CommandError("\n".join(lines)) from exc
        for label in summary.created:
            self.stdout.write(_("created %(what)s") % {"what": label})
        for label in summary.updated:
            self.stdout.write(_("updated %(what)s") % {"what": label})
        for label in summary.deleted:
            self.stdout.write(_("deleted %(what)s") % {"what": label})
        for warning in summary.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                    "%(deleted)d deleted."
                )
                % {
                    "created": len(summary.created),
                    "updated": len(summary.updated),
                    "unchanged": len(summary.unchanged),
                    "deleted": len(summary.deleted),
                }
            )
        )
