"""Delivery of one outbox row: claim, respect the robot's rate limit, send, record the outcome.

At least once, never twice at the same time: a row is first *claimed* by a conditional UPDATE
(`status` active and due -> `sending`), so duplicate task messages, the requeue sweeper and the
retry action can all fire without sending the same row concurrently. Over a robot's rate limit
a row is *deferred* (never dropped); the next task that gets a free slot takes every deferred row
of that channel along as one digest message.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.exceptions import Conflict, NotPermitted
from notifications.alerts import Alert, AlertKind
from notifications.channels import Destination, SendResult, get_adapter
from notifications.limits import (
    rate_limit_wait,
    rate_limit_window,
    rate_limit_window_finish,
    retry_backoff,
)
from notifications.messages import alert_from_dict, message_for_alert, message_for_digest
from notifications.models import ACTIVE_STATUSES, Channel, ChannelKind, Notification, Status
from notifications.redaction import redact, scrub_phones

logger = logging.getLogger(__name__)

# A task may run a little before the row's due time (clock skew between hosts, ETA rounding).
EARLY = timedelta(seconds=0.5)
# A due row whose task has not run this long after its due time lost its task message.
REQUEUE_GRACE = timedelta(seconds=60)
# Margin on a rate-limit wait, so the deferred task does not wake just before its slot frees.
DEFER_MARGIN = 0.05
# How many alerts one digest message may carry, by channel kind: what fits the vendor's byte
# limit with room to spare (a digest line is about 300 bytes with a Chinese title and a link).
DIGEST_CAPACITY = {
    ChannelKind.WECOM: 8,
    ChannelKind.SLACK: 8,
    ChannelKind.DINGTALK: 40,
    ChannelKind.FEISHU: 40,
    ChannelKind.WEBHOOK: 100,
    ChannelKind.EMAIL: 100,
}


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # the row's status afterwards, or "skipped" when there was nothing to do
    retry_in: float | None = None  # seconds until the task should run again
    merged: int = 0  # other rows sent in the same digest message


def _destination(channel: Channel, alert_key: str) -> Destination:
    return Destination(
        kind=channel.kind,
        url=channel.url,
        secret=channel.secret,
        keyword=channel.keyword,
        recipients=tuple(channel.recipients or ()),
        use_markdown=channel.use_markdown,
        alert_key=alert_key,
    )


def _claim(notification_id: int, now: datetime) -> bool:
    return bool(
        Notification.objects.filter(
            pk=notification_id, status__in=ACTIVE_STATUSES, merged_into__isnull=True
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + EARLY))
        .update(status=Status.SENDING, claimed_at=now)
    )


def _robot_limits(channels: list[Channel]) -> tuple[int, int]:
    """The strictest non-zero (per minute, per second) among channels posting to one robot."""
    minutes = [c.rate_limits[0] for c in channels if c.rate_limits[0]]
    seconds = [c.rate_limits[1] for c in channels if c.rate_limits[1]]
    return min(minutes, default=0), min(seconds, default=0)


def _lock_robot(channel_id: int) -> tuple[Channel | None, list[Channel]]:
    """Lock the channels posting to `channel_id`'s robot (its URL); the first holds the window.

    Locking in id order means two workers cannot deadlock. Call inside a transaction.
    """
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return None, []
    lookup = {"url": channel.url} if channel.url else {"pk": channel_id}
    robot = list(Channel.objects.select_for_update().filter(**lookup).order_by("pk"))
    return (robot[0] if robot else None), robot


def channel_take_slot(*, channel_id: int, now: datetime) -> float:
    """Reserve one send in the robot's rate-limit window: 0 if reserved, else seconds to wait.

    The vendor limits the *robot* (its URL), not our channel row: channels sharing one URL share
    one window, kept on the lowest-id of them, and the strictest of their limits applies. The
    row locks serialise workers sending to the same robot; the window holds at most `per_minute`
    timestamps, so this costs the same however busy the robot has been.
    """
    with transaction.atomic():
        owner, robot = _lock_robot(channel_id)
        if owner is None:
            return 0.0
        per_minute, per_second = _robot_limits(
            [c for c in robot if c.pk == channel_id or (c.is_active and c.is_rate_limited)]
        )
        if not (per_minute or per_second):
            return 0.0
        stamp = now.timestamp()
        sent_at = [float(t) for t in owner.recent_sends or []]
        wait = rate_limit_wait(
            sent_at=sent_at, now=stamp, per_minute=per_minute, per_second=per_second
        )
        if wait > 0:
            return wait
        owner.recent_sends = rate_limit_window(
            sent_at=[*sent_at, stamp], now=stamp, per_minute=per_minute, per_second=per_second
        )
        owner.save(update_fields=["recent_sends"])
    return 0.0


def channel_finish_slot(*, channel_id: int, taken: datetime, done: datetime) -> None:
    """Count a send reserved at `taken` from `done`, when the vendor has it (see limits)."""
    with transaction.atomic():
        owner, _robot = _lock_robot(channel_id)
        if owner is None:
            return
        owner.recent_sends = rate_limit_window_finish(
            sent_at=[float(t) for t in owner.recent_sends or []],
            taken=taken.timestamp(),
            done=done.timestamp(),
        )
        owner.save(update_fields=["recent_sends"])


def _attached(row: Notification):
    """Rows riding along with `row` that are not finished (attached in an earlier attempt)."""
    return Notification.objects.filter(merged_into=row).exclude(
        status__in=[Status.SENT, Status.FAILED]
    )


def _take_digest_rows(row: Notification, capacity: int, now: datetime) -> list[Notification]:
    """Rows of the same channel waiting for a slot ride along with `row` (bounded by capacity).

    Rows attached in an earlier, failed attempt stay attached: they retry together. A waiting
    row may itself carry rows from its own failed digest: those move onto `row` with it and
    count against the capacity, or they would point at a row that is sent without them.
    """
    room = capacity - 1 - _attached(row).count()
    if room > 0:
        waiting = list(
            Notification.objects.filter(
                channel_id=row.channel_id, status=Status.DEFERRED, merged_into__isnull=True
            )
            .exclude(pk=row.pk)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:room]
        )
        carried = dict(
            Notification.objects.filter(merged_into_id__in=waiting)
            .exclude(status__in=[Status.SENT, Status.FAILED])
            .values("merged_into_id")
            .annotate(n=Count("pk"))
            .values_list("merged_into_id", "n")
        )
        taken = []
        for pk in waiting:
            size = 1 + carried.get(pk, 0)
            if size <= room:
                taken.append(pk)
                room -= size
        if taken:
            # conditional on the status: a row whose own task claimed it meanwhile stays its own
            Notification.objects.filter(
                pk__in=taken, status=Status.DEFERRED, merged_into__isnull=True
            ).update(status=Status.SENDING, merged_into=row, claimed_at=now)
            # only the rows taken just now point at `row`; their own riders come along
            taken_now = list(
                Notification.objects.filter(pk__in=taken, merged_into=row).values_list(
                    "pk", flat=True
                )
            )
            Notification.objects.filter(merged_into_id__in=taken_now).exclude(
                status__in=[Status.SENT, Status.FAILED]
            ).update(status=Status.SENDING, merged_into=row, claimed_at=now)
    return list(_attached(row).order_by("created_at", "pk"))


def _release(rows: list[Notification], now: datetime) -> None:
    """Digest rows that did not fit the vendor's size limit wait for the next slot again."""
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=Status.DEFERRED, merged_into=None, next_attempt_at=now
    )


def _record(row: Notification, merged: list[Notification], result: SendResult, now: datetime):
    attempts = row.attempts + 1
    merged_qs = Notification.objects.filter(pk__in=[m.pk for m in merged])
    with transaction.atomic():
        if result.ok:
            Notification.objects.filter(pk=row.pk).update(
                status=Status.SENT,
                attempts=attempts,
                sent_at=now,
                next_attempt_at=None,
                last_error="",
                response=result.answer,
            )
            merged_qs.update(
                status=Status.SENT,
                sent_at=now,
                next_attempt_at=None,
                last_error="",
                response=_("Sent in digest #%(id)s.") % {"id": row.pk},
            )
            outcome = DeliveryOutcome(status=Status.SENT, merged=len(merged))
        elif attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            Notification.objects.filter(pk=row.pk).update(
                status=Status.FAILED,
                attempts=attempts,
                next_attempt_at=None,
                last_error=result.error,
                response=result.answer,
            )
            merged_qs.update(
                status=Status.FAILED,
                next_attempt_at=None,
                last_error=_("Digest #%(id)s failed: %(error)s")
                % {"id": row.pk, "error": result.error},
            )
            outcome = DeliveryOutcome(status=Status.FAILED, merged=len(merged))
        else:
            delay = retry_backoff(
                attempt=attempts,
                base=settings.NOTIFICATIONS_RETRY_BACKOFF,
                cap=settings.NOTIFICATIONS_RETRY_BACKOFF_MAX,
            )
            delay = max(
                delay, min(result.retry_after or 0, settings.NOTIFICATIONS_RETRY_BACKOFF_MAX)
            )
            due = now + timedelta(seconds=delay)
            Notification.objects.filter(pk=row.pk).update(
                status=Status.RETRYING,
                attempts=attempts,
                next_attempt_at=due,
                last_error=result.error,
                response=result.answer,
            )
            merged_qs.update(status=Status.RETRYING, next_attempt_at=due)
            outcome = DeliveryOutcome(status=Status.RETRYING, retry_in=delay, merged=len(merged))
    logger.info(
        "notification %s (%s, %s) attempt %s: %s%s",
        row.pk,
        row.kind,
        row.target_key,
        attempts,
        outcome.status,
        f" ({len(merged)} merged)" if merged else "",
    )
    return outcome


def _fail_now(row: Notification, error: str) -> DeliveryOutcome:
    """A failure no retry can fix (the channel is gone or switched off); the admin can retry."""
    Notification.objects.filter(pk=row.pk).update(
        status=Status.FAILED, next_attempt_at=None, last_error=error
    )
    Notification.objects.filter(merged_into=row).exclude(status=Status.SENT).update(
        status=Status.FAILED, next_attempt_at=None, last_error=error
    )
    return DeliveryOutcome(status=Status.FAILED)


def _render(row: Notification, merged: list[Notification], now: datetime):
    alert = alert_from_dict(row.alert)
    if merged:
        return message_for_digest(
            alerts=[alert, *(alert_from_dict(r.alert) for r in merged)], now=now
        )
    return message_for_alert(alert=alert, now=now)


def _render_and_send(
    row: Notification, merged: list[Notification], destination: Destination, now: datetime
) -> tuple[list[Notification], SendResult]:
    """Render (shrinking a digest to what the vendor takes) and send; never raises.

    Returns the digest rows actually sent along. A row that breaks rendering or the adapter
    (a bad header, a broken translation) must end as a recorded failure, not stay `sending`.
    """
    adapter = get_adapter(destination.kind)
    released: list[Notification] = []
    try:
        message = _render(row, merged, now)
        # Lines of a digest the vendor would cut off would be marked sent unseen: such rows wait
        # for the next slot instead.
        while merged and not adapter.fits(destination=destination, message=message):
            released.insert(0, merged.pop())
            message = _render(row, merged, now)
        if released:
            _release(released, now)
        return merged, adapter.send(destination=destination, message=message, now=now)
    except Exception as exc:  # noqa: BLE001 - any bug while sending becomes a recorded failure
        error = redact(scrub_phones(f"{type(exc).__name__}: {exc}"), secrets=destination.secrets)
        logger.warning("notification %s: send raised %s", row.pk, type(exc).__name__)
        if released:
            _release(released, now)
        return merged, SendResult(ok=False, error=error[:500])


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> DeliveryOutcome:
    """Try to deliver one outbox row now. Quietly does nothing if it is gone, done or not due."""
    now = now or timezone.now()
    started = time.monotonic()
    if not _claim(notification_id, now):
        return DeliveryOutcome(status="skipped")
    row = Notification.objects.select_related("channel").get(pk=notification_id)
    merged: list[Notification] = []
    slot_taken = False
    if row.target_key.startswith("user:"):
        destination = Destination(
            kind=ChannelKind.EMAIL, recipients=(row.recipient,), alert_key=row.alert_key
        )
        language = ""
    else:
        channel = row.channel
        if channel is None or not channel.is_active:
            return _fail_now(row, _("The channel was deleted or switched off."))
        if channel.is_rate_limited:
            wait = channel_take_slot(channel_id=channel.pk, now=now)
            if wait > 0:
                wait += DEFER_MARGIN
                Notification.objects.filter(pk=row.pk).update(
                    status=Status.DEFERRED, next_attempt_at=now + timedelta(seconds=wait)
                )
                return DeliveryOutcome(status=Status.DEFERRED, retry_in=wait)
            slot_taken = True
            merged = _take_digest_rows(row, DIGEST_CAPACITY.get(channel.kind, 20), now)
        else:
            # rows attached while the channel was rate-limited still ride along (and are
            # recorded with this row) even if the limit has since been lifted
            merged = list(_attached(row).order_by("created_at", "pk"))
        destination = _destination(channel, row.alert_key)
        language = channel.language
    with translation.override(language or settings.LANGUAGE_CODE):
        merged, result = _render_and_send(row, merged, destination, now)
    if slot_taken:
        # `now` plus the time this took: the caller's clock, however it is given
        done = now + timedelta(seconds=time.monotonic() - started)
        channel_finish_slot(channel_id=row.channel_id, taken=now, done=done)
    return _record(row, merged, result, now)


def notification_requeue_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Safety net for lost task messages and crashed workers; returns how many were requeued.

    Rows stuck in `sending` longer than NOTIFICATIONS_STUCK_AFTER go back to `retrying` (the send
    may or may not have happened: at least once). Rows overdue by REQUEUE_GRACE are requeued;
    duplicate task messages are harmless because delivery claims the row first.
    """
    from notifications.services.dispatch import enqueue_delivery

    now = now or timezone.now()
    stuck = now - timedelta(seconds=settings.NOTIFICATIONS_STUCK_AFTER)
    overdue = now - REQUEUE_GRACE
    stuck_rows = Notification.objects.filter(status=Status.SENDING, claimed_at__lt=stuck)
    # A send that never finished counts as an attempt, so a row that kills its worker every
    # time ends `failed` instead of looping for ever. Rows riding in a digest follow their head.
    stuck_rows.filter(
        merged_into__isnull=True, attempts__gte=settings.NOTIFICATIONS_MAX_ATTEMPTS - 1
    ).update(
        status=Status.FAILED,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
        last_error=_("The send did not finish (the worker stopped?); attempts used up."),
    )
    stuck_rows.filter(merged_into__isnull=True).update(
        status=Status.RETRYING, attempts=F("attempts") + 1, next_attempt_at=overdue
    )
    stuck_rows.update(status=Status.RETRYING, next_attempt_at=overdue)
    # Safety net: a row still waiting but attached to a digest that is finished would never be
    # picked up again (claims skip attached rows); it goes back on its own.
    Notification.objects.filter(
        status__in=ACTIVE_STATUSES, merged_into__status__in=[Status.SENT, Status.FAILED]
    ).update(merged_into=None, next_attempt_at=overdue)
    due = list(
        Notification.objects.filter(
            status__in=ACTIVE_STATUSES, merged_into__isnull=True, next_attempt_at__lte=overdue
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue_delivery(due)
    return len(due)


def notification_retry(*, notification: Notification, actor, now: datetime | None = None):
    """Give a failed row a fresh set of attempts (admin "retry" action)."""
    from notifications.services.dispatch import enqueue_delivery

    now = now or timezone.now()
    if not actor.has_perm("notifications.retry_notification"):
        raise NotPermitted()
    if notification.target_key.startswith("user:") and not notification.recipient:
        raise Conflict(_("This user has no email address."))
    with transaction.atomic():
        updated = Notification.objects.filter(pk=notification.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=now, merged_into=None
        )
        if not updated:
            raise Conflict(_("Only failed notifications can be retried."))
        # a failed digest takes its alerts along again
        Notification.objects.filter(merged_into=notification, status=Status.FAILED).update(
            status=Status.RETRYING, next_attempt_at=now
        )
        transaction.on_commit(lambda: enqueue_delivery([notification.pk]))
    logger.info("notification %s retried by user %s", notification.pk, actor.pk)


def _test_alert() -> Alert:
    return Alert(
        kind=AlertKind.TEST,
        dedupe_key="test",
        case_number="",
        title=_("Test message"),
        risk_level="",
        url="/admin/",
    )


def destination_send_test(*, destination: Destination, now: datetime | None = None) -> SendResult:
    """Send a test message to an ad-hoc target synchronously; nothing is saved."""
    now = now or timezone.now()
    message = message_for_alert(alert=_test_alert(), now=now)
    return get_adapter(destination.kind).send(destination=destination, message=message, now=now)


def channel_send_test(*, channel: Channel, now: datetime | None = None) -> SendResult:
    """Send a test message through a saved channel synchronously, within its rate limit."""
    now = now or timezone.now()
    wait = channel_take_slot(channel_id=channel.pk, now=now)
    if wait > 0:
        return SendResult(
            ok=False,
            error=_("Rate limit reached; try again in %(seconds)d seconds.")
            % {"seconds": int(wait) + 1},
        )
    with translation.override(channel.language or settings.LANGUAGE_CODE):
        return destination_send_test(
            destination=_destination(channel, alert_key=f"test:{int(now.timestamp())}"), now=now
        )
