"""Reads of channels, routes and the delivery log."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Prefetch, Q, QuerySet

from core.exceptions import NotFound
from notifications.alerts import Alert
from notifications.models import ACTIVE_STATUSES, Channel, Notification, Route
from notifications.routing import route_matches


def route_list_matching(*, alert: Alert) -> list[Route]:
    """Active routes for this alert, with their active channels prefetched.

    Two queries whatever the size of the delivery log: routes are a short list read whole.
    """
    routes = Route.objects.filter(is_active=True).prefetch_related(
        Prefetch("channels", queryset=Channel.objects.filter(is_active=True).order_by("pk"))
    )
    return [
        route
        for route in routes
        if route_matches(
            kinds=route.kinds,
            risk_levels=route.risk_levels,
            store_codes=route.store_codes,
            regions=route.regions,
            escalation_levels=route.escalation_levels,
            alert=alert,
        )
    ]


def user_list_for_alert(*, roles: set[str], usernames: set[str]) -> QuerySet:
    """Active users holding one of `roles` (group names) or named in `usernames`."""
    if not roles and not usernames:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=roles) | Q(username__in=usernames))
        .distinct()
        .order_by("pk")
    )


def channel_get(*, name: str) -> Channel:
    channel = Channel.objects.filter(name=name).first()
    if channel is None:
        raise NotFound()
    return channel


def notification_list_for_alert(*, alert_key: str) -> QuerySet[Notification]:
    """Who was alerted for one alert (newest first), for callers that show or audit it."""
    return Notification.objects.filter(alert_key=alert_key).select_related("channel", "user")


def notification_backlog(*, now, older_than) -> tuple[int, object]:
    """Deliveries still waiting (pending, deferred or retrying) that were created more than
    `older_than` ago: how many, and when the oldest was created (None when there are none)."""

    waiting = Notification.objects.filter(
        status__in=ACTIVE_STATUSES, created_at__lte=now - older_than
    ).aggregate(count=Count("id"), oldest=Min("created_at"))
    return waiting["count"], waiting["oldest"]
