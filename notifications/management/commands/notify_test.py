"""`manage.py notify_test`: send a test message now and print the vendor's answer.

Exits non-zero when the send fails or the vendor answers with an error.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from notifications import selectors, services
from notifications.channels import Destination
from notifications.models import ChannelKind


class Command(BaseCommand):
    help = (
        "Send a test message through a saved channel (--channel NAME) or an ad-hoc target "
        "(--kind KIND --url URL [--secret S] [--keyword K], or --kind email --to ADDRESS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", help="name of a saved channel")
        parser.add_argument("--kind", choices=ChannelKind.values)
        parser.add_argument("--url", help="webhook URL (ad-hoc target)")
        parser.add_argument("--secret", default="", help="signing secret (ad-hoc target)")
        parser.add_argument("--keyword", default="", help="keyword/prefix the robot requires")
        parser.add_argument("--to", action="append", default=[], help="email address (repeatable)")
        parser.add_argument("--text", action="store_true", help="plain text instead of markdown")

    def handle(self, *args, **options):
        if options["channel"]:
            if options["kind"] or options["url"] or options["to"]:
                raise CommandError(_("Give either --channel or --kind with its target, not both."))
            try:
                channel = selectors.channel_get(name=options["channel"])
            except NotFound as exc:
                raise CommandError(
                    _("No channel named %(name)s.") % {"name": options["channel"]}
                ) from exc
            result = services.channel_send_test(channel=channel)
            label = channel.name
        else:
            kind = options["kind"]
            if not kind:
                raise CommandError(_("Give --channel NAME, or --kind with --url or --to."))
            if kind == ChannelKind.EMAIL and not options["to"]:
                raise CommandError(_("--kind email needs --to ADDRESS."))
            if kind != ChannelKind.EMAIL and not options["url"]:
                raise CommandError(_("--kind %(kind)s needs --url URL.") % {"kind": kind})
            destination = Destination(
                kind=kind,
                url=options["url"] or "",
                secret=options["secret"],
                keyword=options["keyword"],
                recipients=tuple(options["to"]),
                use_markdown=not options["text"],
                alert_key="notify_test",
            )
            result = services.destination_send_test(destination=destination)
            label = kind
        status = f"HTTP {result.status_code}" if result.status_code else "-"
        self.stdout.write(_("%(target)s: %(status)s") % {"target": label, "status": status})
        self.stdout.write(_("Vendor's answer: %(answer)s") % {"answer": result.answer or "—"})
        if not result.ok:
            raise CommandError(_("Sending failed: %(error)s") % {"error": result.error})
        self.stdout.write(self.style.SUCCESS(_("Sent.")))
