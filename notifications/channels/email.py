"""Email through Django's configured backend (SMTP whenever EMAIL_HOST is set)."""

import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _

from notifications.channels.base import Destination, SendResult, oneline, register
from notifications.messages import Message
from notifications.redaction import redact

KIND = "email"


class EmailAdapter:
    kind = KIND

    def send(self, *, destination: Destination, message: Message, now: datetime) -> SendResult:
        recipients = [r for r in destination.recipients if r]
        if not recipients:
            return SendResult(ok=False, error=_("No email recipients."))
        subject = oneline(message.title)[:200]
        if destination.keyword:
            subject = f"{destination.keyword} {subject}"
        email = EmailMessage(
            subject=subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients,
            headers={"X-Alert-Key": destination.alert_key} if destination.alert_key else None,
        )
        try:
            with get_connection(fail_silently=False) as connection:
                sent = connection.send_messages([email])
        except (smtplib.SMTPException, OSError) as exc:
            secrets = [settings.EMAIL_HOST_PASSWORD, *destination.secrets]
            return SendResult(
                ok=False, error=redact(f"{type(exc).__name__}: {exc}", secrets=secrets)
            )
        if not sent:
            return SendResult(ok=False, error=_("The mail server accepted nothing."))
        return SendResult(
            ok=True,
            answer=_("Accepted for %(count)d recipient(s).") % {"count": len(recipients)},
        )


register(EmailAdapter())
