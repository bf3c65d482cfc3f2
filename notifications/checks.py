"""Deploy checks: alerts that would be marked sent while nobody receives them."""

from django.conf import settings
from django.core.checks import Warning, register
from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _

from notifications.channels.email import NON_DELIVERING_BACKENDS


@register("notifications", deploy=True)
def email_backend_check(app_configs=None, **kwargs) -> list[Warning]:
    """notifications.W001: email alerts are configured but mail goes to the console.

    Only when something would be emailed (an active email channel, an active route to roles or
    users), so a deployment that alerts by IM alone passes `check --deploy` without SMTP.
    """
    if settings.EMAIL_BACKEND not in NON_DELIVERING_BACKENDS:
        return []
    from notifications.models import Channel, ChannelKind, Route

    try:
        email_channels = Channel.objects.filter(is_active=True, kind=ChannelKind.EMAIL).exists()
        routes_to_people = any(
            route.roles or route.usernames
            for route in Route.objects.filter(is_active=True).only("roles", "usernames")
        )
    except DatabaseError:  # no database or not migrated yet: nothing is configured to check
        return []
    if not (email_channels or routes_to_people):
        return []
    return [
        Warning(
            _("Email alerts are configured but EMAIL_HOST is empty: mail is not sent."),
            hint=_(
                "Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
                "EMAIL_USE_TLS) so alert emails are delivered; until then they fail."
            ),
            id="notifications.W001",
        )
    ]
