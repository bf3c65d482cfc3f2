"""Email through Django's configured backend (SMTP whenever EMAIL_HOST is set).

The console and dummy backends mail nothing: outside DEBUG a send through them is a failure
(visible in the delivery log), never a row marked sent that nobody received.
"""

import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.channels.base import Destination, SendResult, oneline, register
from notifications.messages import Message
from notifications.redaction import redact

KIND = "email"
# Backends that accept a message and deliver it nowhere.
NON_DELIVERING_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)


def email_is_delivered() -> bool:
    """False when mail would only be printed or dropped: fine while developing, not in earnest."""
    return settings.DEBUG or settings.EMAIL_BACKEND not in NON_DELIVERING_BACKENDS


class EmailAdapter:
    kind = KIND

    def fits(self, *, destination: Destination, message: Message) -> bool:
        return True  # mail has no practical size limit for alerts

    def send(self, *, destination: Destination, message: Message, now: datetime) -> SendResult:
        recipients = [r for r in destination.recipients if r]
        if not recipients:
            return SendResult(ok=False, error=_("No email recipients."))
        if not email_is_delivered():
            return SendResult(
                ok=False,
                error=_("Email is not set up (EMAIL_HOST is empty), so nothing was mailed."),
            )
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
            answer=ngettext(
                "Accepted for %(count)d recipient.",
                "Accepted for %(count)d recipients.",
                len(recipients),
            )
            % {"count": len(recipients)},
        )


register(EmailAdapter())
