"""Alert -> outbox rows, one per (alert, target), enqueued after the caller's commit."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.roles import ROLE_LABELS
from notifications import selectors
from notifications.alerts import Alert, AlertKind
from notifications.messages import alert_to_dict
from notifications.models import Notification, Status
from notifications.redaction import scrub_phones

logger = logging.getLogger(__name__)

ALERT_KEY_MAX = Notification._meta.get_field("alert_key").max_length


def _check(alert: Alert) -> None:
    errors = {}
    if alert.kind not in AlertKind.values:
        errors["kind"] = _("Unknown alert kind.")
    if not alert.dedupe_key:
        errors["dedupe_key"] = _("This field is required.")
    elif len(alert.dedupe_key) > ALERT_KEY_MAX:
        errors["dedupe_key"] = _("At most %(max)d characters.") % {"max": ALERT_KEY_MAX}
    if isinstance(alert.roles, str) or any(
        not isinstance(role, str) or role not in ROLE_LABELS for role in alert.roles
    ):
        errors["roles"] = _("Give a list of role names: %(roles)s.") % {
            "roles": ", ".join(ROLE_LABELS)
        }
    if isinstance(alert.usernames, str) or any(not isinstance(u, str) for u in alert.usernames):
        errors["usernames"] = _("Give a list of usernames.")
    if alert.due_at is not None and timezone.is_naive(alert.due_at):
        errors["due_at"] = _("Give an aware datetime.")
    if errors:
        raise InvalidInput(fields=errors)


def enqueue_delivery(notification_ids: list[int]) -> None:
    """Queue delivery tasks; a broker outage must not fail the caller (the sweeper requeues)."""
    from notifications.tasks import notification_deliver_task

    for position, notification_id in enumerate(notification_ids):
        try:
            notification_deliver_task.delay(notification_id)
        except Exception:  # noqa: BLE001 - any broker error: the rows stay due and are requeued
            # The broker is down: trying the others would only make the caller wait longer.
            logger.warning(
                "broker unavailable: %d notification(s) left for the requeue sweep",
                len(notification_ids) - position,
                exc_info=True,
            )
            return


def alert_dispatch(*, alert: Alert, now: datetime | None = None) -> list[Notification]:
    """Route `alert` and write one outbox row per target; deliver after the caller commits.

    Idempotent: dispatching the same `dedupe_key` again returns the existing rows and queues
    nothing new. The number of queries does not depend on the size of the delivery log.
    """
    now = now or timezone.now()
    _check(alert)
    routes = selectors.route_list_matching(alert=alert)
    # target key -> row fields; a dict keeps the first route's order and gives each target once
    targets: dict[str, dict] = {}
    # the alert's own audience by role comes on top of the routes' (see Alert.roles)
    roles: set[str] = set(alert.roles)
    usernames: set[str] = set(alert.usernames)
    for route in routes:
        for channel in route.channels.all():
            targets.setdefault(
                f"channel:{channel.pk}", {"channel": channel, "recipient": channel.name}
            )
        roles.update(route.roles)
        usernames.update(route.usernames)
    for user in selectors.user_list_for_alert(roles=roles, usernames=usernames):
        targets.setdefault(f"user:{user.pk}", {"user": user, "recipient": user.email})
    if not targets:
        return []

    rows = Notification.objects.filter(alert_key=alert.dedupe_key, target_key__in=list(targets))
    existing = set(rows.values_list("target_key", flat=True))
    data = scrub_phones(alert_to_dict(alert))
    new = []
    for key, fields in targets.items():
        if key in existing:
            continue
        row = Notification(
            alert_key=alert.dedupe_key,
            target_key=key,
            kind=alert.kind,
            case_number=alert.case_number[:20],
            risk_level=alert.risk_level,
            alert=data,
            next_attempt_at=now,
            created_at=now,
            **fields,
        )
        if "user" in fields and not fields["recipient"]:
            # visible in the delivery log rather than silently skipped
            row.status = Status.FAILED
            row.last_error = _("This user has no email address.")
            row.next_attempt_at = None
        new.append(row)
    # a concurrent dispatch of the same alert may insert first: the constraint keeps one row
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    result = list(rows.select_related("channel", "user").order_by("pk"))
    new_keys = {row.target_key for row in new if row.status == Status.PENDING}
    to_send = [row.pk for row in result if row.target_key in new_keys]
    if to_send:
        transaction.on_commit(lambda: enqueue_delivery(to_send))
    return result
