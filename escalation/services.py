"""Writes of the SLA engine: clocks, threshold crossings, escalations, acknowledgements, red alerts.

Every threshold crossing is recorded under the `(clock, threshold)` unique constraint in the same
transaction that hands its alert to `notifications.services.alert_dispatch` (which writes its own
outbox rows, unique per alert and target, and delivers after commit). A crash before commit loses
both, and the next sweep redoes them; a crash after commit loses neither.
"""

import logging
import time as monotonic_time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.models import RISK_ORDER, Case, EventKind, RiskLevel, State
from cases.selectors import case_visible_to
from core.exceptions import Conflict, NotPermitted
from escalation import deadlines
from escalation.deadlines import BREACH, WARNING, ClockTimes, LadderStep, LadderTime
from escalation.models import (
    OPEN_CLOCK_STATES,
    ClockCrossing,
    ClockKind,
    ClockState,
    Escalation,
    RedAlert,
    SlaClock,
    SlaPolicy,
    SweeperHeartbeat,
)
from escalation.selectors import (
    SWEEPER_NAME,
    sla_policy_for,
    sla_policy_ladder,
    working_calendar,
)
from notifications.alerts import Alert, AlertKind

logger = logging.getLogger(__name__)

# Used when no active policy matches (an administrator deleted them all): the desk's promise.
FALLBACK_TARGETS = {
    ClockKind.FIRST_RESPONSE: timedelta(hours=1),
    ClockKind.CLOSE: timedelta(hours=24),
}
FALLBACK_WARNING_RATIO = 0.75
FALLBACK_LADDER = (LadderStep(level=1, offset=timedelta(0), audience=("supervisor",)),)

# A clock whose processing failed is looked at again after this long, not in a hot loop.
RETRY_DELAY = timedelta(seconds=30)
# Thresholds this close get a short ETA "nudge" task besides the sweep (both are idempotent).
NUDGE_HORIZON = timedelta(seconds=30)
CLOSED_CASE_STATES = (State.MERGED, State.REJECTED, State.ARCHIVED)
# A case in one of these states has no running clock: whatever is still open is cancelled.
FINISHED_CASE_STATES = (State.CLOSED, *CLOSED_CASE_STATES)

# Who hears of what when no route says more (routes add channels and people on top).
WARNING_AUDIENCE = ("supervisor",)
BREACH_AUDIENCE = ("supervisor",)  # when no ladder level falls at the breach itself
RED_AUDIENCE = ("supervisor", "manager", "legal_pr")


# --- timing --------------------------------------------------------------------------------


def _times_for(*, policy: SlaPolicy | None, kind: str, started_at: datetime) -> ClockTimes:
    if policy is None:
        return deadlines.clock_times(
            started_at=started_at,
            target=FALLBACK_TARGETS[kind],
            warning_ratio=FALLBACK_WARNING_RATIO,
            ladder=FALLBACK_LADDER,
        )
    target = (
        policy.first_response_target if kind == ClockKind.FIRST_RESPONSE else policy.close_target
    )
    timing = {
        "started_at": started_at,
        "target": target,
        "warning_ratio": policy.warning_percent / 100 if policy.warning_percent else None,
        "ladder": sla_policy_ladder(policy=policy, clock_kind=kind),
    }
    try:
        return deadlines.clock_times(**timing, calendar=working_calendar(calendar=policy.calendar))
    except ValueError:
        # The calendar gives no deadline (a target longer than its horizon, or days off added
        # after the policy was saved). A case must never be left without clocks: count 24×7.
        logger.exception(
            "SLA policy %s: no %s deadline in its calendar; counting 24x7 instead", policy.pk, kind
        )
        return deadlines.clock_times(**timing, calendar=None)


def _clock_times(clock: SlaClock) -> ClockTimes:
    return ClockTimes(
        started_at=clock.started_at,
        warn_at=clock.warn_at,
        due_at=clock.due_at,
        ladder=tuple(
            LadderTime(
                level=step["level"],
                at=datetime.fromisoformat(step["at"]),
                audience=tuple(step.get("audience", ())),
            )
            for step in clock.ladder
        ),
    )


def _store_times(clock: SlaClock, times: ClockTimes) -> None:
    clock.warn_at = times.warn_at
    clock.due_at = times.due_at
    clock.ladder = [
        {"level": s.level, "at": s.at.isoformat(), "audience": list(s.audience)}
        for s in times.ladder
    ]


def _thresholds(clock: SlaClock) -> list[deadlines.Threshold]:
    return deadlines.thresholds(
        _clock_times(clock), ladder_stopped_after=clock.ladder_stopped_after
    )


def _refresh_next_check(clock: SlaClock) -> None:
    clock.next_check_at = (
        deadlines.next_check_at(_thresholds(clock), crossed=set(clock.crossed))
        if clock.is_open
        else None
    )


def _nudge_on_commit(clocks: list[SlaClock], now: datetime) -> None:
    """Ask a worker to look at clocks whose next threshold is seconds away (or already past).

    Only ever a short ETA: the sweep remains the guarantee, this only shortens the wait.
    """
    soon = [c for c in clocks if c.next_check_at and c.next_check_at - now <= NUDGE_HORIZON]
    if not soon:
        return

    def send() -> None:
        from escalation.tasks import sla_clock_check

        for clock in soon:
            try:
                sla_clock_check.apply_async((clock.pk,), eta=max(clock.next_check_at, now))
            except Exception:  # broker down: the sweep will find the clock when it is back
                logger.warning("could not nudge SLA clock %s; the sweep will", clock.pk)
                return

    transaction.on_commit(send)


def _lock_case(case_id: int) -> Case | None:
    return Case.objects.select_for_update().filter(pk=case_id).first()


# --- clocks follow the case ----------------------------------------------------------------


def sla_clocks_ensure(*, case_id: int, now: datetime | None = None) -> list[SlaClock]:
    """Create the case's first-response and close clocks if it has none yet (idempotent).

    Timed from `received_at` under the policy for the case's *current* risk level, so it does not
    matter whether triage raised the risk before or after this runs. Backdated thresholds are
    already due and are processed at once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock_case(case_id)  # serialises with re-timing on a risk change
        if case is None or case.state in CLOSED_CASE_STATES:
            return []
        have = set(SlaClock.objects.filter(case=case).values_list("kind", flat=True))
        policy = sla_policy_for(
            risk_level=case.risk_level, category=case.category, channel=case.channel
        )
        created = []
        stopped_at = {
            ClockKind.FIRST_RESPONSE: case.first_responded_at,
            ClockKind.CLOSE: case.closed_at,
        }
        for kind in (ClockKind.FIRST_RESPONSE, ClockKind.CLOSE):
            if kind in have:
                continue
            clock = SlaClock(
                case=case,
                kind=kind,
                policy=policy,
                timed_for_risk=case.risk_level,
                started_at=case.received_at,
            )
            _store_times(clock, _times_for(policy=policy, kind=kind, started_at=case.received_at))
            if stopped_at[kind] is not None:  # the case moved on before its clocks existed
                _stop(clock, at=stopped_at[kind])
            _refresh_next_check(clock)
            clock.save()
            created.append(clock)
        _nudge_on_commit(created, now)
    return created


def sla_clocks_retime(*, case_id: int, now: datetime | None = None) -> list[SlaClock]:
    """After a risk change: re-time open clocks timed for a lower level under the stricter
    policy, never making any threshold later than it was. Lowering the risk changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock_case(case_id)
        if case is None:
            return []
        policy = sla_policy_for(
            risk_level=case.risk_level, category=case.category, channel=case.channel
        )
        changed = []
        for clock in SlaClock.objects.select_for_update().filter(
            case=case, state__in=OPEN_CLOCK_STATES
        ):
            if RISK_ORDER[case.risk_level] <= RISK_ORDER.get(clock.timed_for_risk, 0):
                continue
            stricter = _times_for(policy=policy, kind=clock.kind, started_at=clock.started_at)
            _store_times(clock, deadlines.retime(_clock_times(clock), stricter))
            clock.policy = policy
            clock.timed_for_risk = case.risk_level
            _refresh_next_check(clock)
            clock.save(
                update_fields=[
                    "warn_at",
                    "due_at",
                    "ladder",
                    "policy",
                    "timed_for_risk",
                    "next_check_at",
                ]
            )
            changed.append(clock)
        _nudge_on_commit(changed, now)
    return changed


def _stop(clock: SlaClock, *, at: datetime) -> None:
    clock.state = ClockState.MET
    clock.stopped_at = at
    late = deadlines.lateness(clock.due_at, at)
    clock.late_seconds = int(late.total_seconds()) if late else None
    clock.next_check_at = None


def sla_clock_stop(*, case_id: int, kind: str, at: datetime) -> SlaClock | None:
    """`respond` meets the first-response clock, `close` the close clock (late ones say by how much)."""
    with transaction.atomic():
        clocks = SlaClock.objects.select_for_update().filter(
            case_id=case_id, kind=kind, state__in=OPEN_CLOCK_STATES
        )
        if kind == ClockKind.CLOSE:
            # a late (retried) `close` must not stop the close clock of a later reopening
            clocks = clocks.filter(started_at__lte=at)
        clock = clocks.first()
        if clock is None:
            return None
        _stop(clock, at=at)
        clock.save(update_fields=["state", "stopped_at", "late_seconds", "next_check_at"])
    return clock


def sla_close_clock_restart(*, case_id: int, at: datetime, now: datetime | None = None):
    """`reopen` starts a new close clock from the reopening.

    Reopening a closed case leaves its old close clock met. Reopening a `resolved` case finds
    the old close clock still running: it is cancelled (superseded), since the loop is now
    measured from the reopening. Idempotent: a close clock already started at or after `at`
    is kept.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock_case(case_id)
        if case is None or not case.is_open:
            return None
        running = (
            SlaClock.objects.select_for_update()
            .filter(case=case, kind=ClockKind.CLOSE, state__in=OPEN_CLOCK_STATES)
            .first()
        )
        if running is not None:
            if running.started_at >= at:  # this reopening was handled already
                return None
            _cancel(running, at=at)
            running.save(update_fields=["state", "stopped_at", "next_check_at"])
        policy = sla_policy_for(
            risk_level=case.risk_level, category=case.category, channel=case.channel
        )
        clock = SlaClock(
            case=case,
            kind=ClockKind.CLOSE,
            policy=policy,
            timed_for_risk=case.risk_level,
            started_at=at,
        )
        _store_times(clock, _times_for(policy=policy, kind=ClockKind.CLOSE, started_at=at))
        _refresh_next_check(clock)
        clock.save()
        _nudge_on_commit([clock], now)
    return clock


def _cancel(clock: SlaClock, *, at: datetime) -> None:
    clock.state = ClockState.CANCELLED
    clock.stopped_at = at
    clock.next_check_at = None


def sla_clocks_cancel(*, case_id: int, at: datetime) -> int:
    """`merge`, `reject` (and archiving) cancel whatever is still running."""
    return SlaClock.objects.filter(case_id=case_id, state__in=OPEN_CLOCK_STATES).update(
        state=ClockState.CANCELLED, stopped_at=at, next_check_at=None
    )


def _settle_with_case(clock: SlaClock, case: Case, *, now: datetime) -> bool:
    """Stop or cancel an open clock the case has already moved past; True if it did.

    The clock rows follow the case through receivers, and a receiver can fail or race with a
    sweep. The case row is the truth: a responded case has met its response clock, a closed
    one its close clock, and a finished one has nothing left to run.
    """
    if not clock.is_open:
        return False
    if clock.kind == ClockKind.FIRST_RESPONSE and case.first_responded_at is not None:
        _stop(clock, at=case.first_responded_at)
    elif (
        clock.kind == ClockKind.CLOSE
        and case.closed_at is not None
        and case.closed_at >= clock.started_at
    ):
        _stop(clock, at=case.closed_at)
    elif case.state in FINISHED_CASE_STATES:
        _cancel(clock, at=now)
    else:
        return False
    clock.save(update_fields=["state", "stopped_at", "late_seconds", "next_check_at"])
    return True


def sla_clocks_reconcile(*, case_id: int, now: datetime | None = None) -> int:
    """Bring the case's open clocks in line with the case itself; returns how many changed."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock_case(case_id)
        if case is None:
            return 0
        clocks = SlaClock.objects.select_for_update().filter(case=case, state__in=OPEN_CLOCK_STATES)
        return sum(_settle_with_case(clock, case, now=now) for clock in clocks)


def sla_case_transitioned(*, case_id: int, transition: str, at: datetime) -> None:
    if transition == "respond":
        sla_clock_stop(case_id=case_id, kind=ClockKind.FIRST_RESPONSE, at=at)
    elif transition == "close":
        sla_clock_stop(case_id=case_id, kind=ClockKind.CLOSE, at=at)
    elif transition == "reopen":
        sla_close_clock_restart(case_id=case_id, at=at)
    elif transition in ("merge", "reject", "archive"):
        sla_clocks_cancel(case_id=case_id, at=at)


# --- alerts ------------------------------------------------------------------------------


def _dispatch(alert: Alert) -> list[str]:
    """Hand an alert to notifications; returns who it went to, for the record.

    The answer is the target keys (`user:<id>`, `channel:<id>`) of the outbox rows that will be
    delivered; a user with no email address gets a row that failed at once and is left out.
    """
    from notifications.models import Status
    from notifications.services import alert_dispatch

    rows = alert_dispatch(alert=alert)
    return sorted({row.target_key for row in rows or () if row.status != Status.FAILED})


def _build_alert(
    case: Case,
    *,
    kind: str,
    dedupe_key: str,
    clock: SlaClock | None = None,
    level: int | None = None,
    audience: tuple[str, ...] | list[str] = (),
    roles: tuple[str, ...] | list[str] = (),
    threshold: str = "",
    notify_assignee: bool = False,
) -> Alert:
    extra = {
        "masked_phone": case.masked_phone,
        "category": case.category,
        "channel": case.channel,
        "state": case.state,
        "received_at": case.received_at.isoformat(),
    }
    if audience:
        extra["audience"] = list(audience)
    if threshold:
        extra["threshold"] = threshold
    if kind == AlertKind.CASE_RED:
        extra["risk_reason"] = case.risk_reason
        extra["risk_reasons"] = case.risk_reasons
    return Alert(
        kind=kind,
        dedupe_key=dedupe_key,
        case_number=case.number,
        title=case.title,
        risk_level=case.risk_level,
        store_code=case.store.code,
        store_name=case.store.name,
        region=case.store.region,
        sla=clock.kind if clock else "",
        due_at=clock.due_at if clock else None,
        escalation_level=level,
        url=settings.SITE_URL + reverse("admin:cases_case_change", args=[case.pk]),
        extra=extra,
        roles=tuple(dict.fromkeys(roles)),
        # the person working the case hears of its own deadline, not only their supervisors
        usernames=(case.assignee.username,) if notify_assignee and case.assignee_id else (),
    )


def case_red_alert_send(*, case_id: int, now: datetime | None = None) -> RedAlert | None:
    """Alert the red audience the moment a case is red (at intake or later); once per case."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_related("store").filter(pk=case_id).first()
        if case is None or case.risk_level != RiskLevel.RED or not case.is_open:
            return None
        try:
            with transaction.atomic():
                record = RedAlert.objects.create(case=case, sent_at=now)
        except IntegrityError:  # already alerted
            return None
        record.notified = _dispatch(
            _build_alert(
                case,
                kind=AlertKind.CASE_RED,
                dedupe_key=f"case_red:{case.pk}",
                audience=RED_AUDIENCE,
                roles=RED_AUDIENCE,
            )
        )
        record.save(update_fields=["notified"])
    return record


# --- the sweep -----------------------------------------------------------------------------


def _record_crossing(clock: SlaClock, threshold: deadlines.Threshold, *, now, alerted) -> bool:
    try:
        with transaction.atomic():
            ClockCrossing.objects.create(
                clock=clock,
                threshold=threshold.name,
                due_at=threshold.at,
                crossed_at=now,
                alerted=alerted,
            )
    except IntegrityError:  # crossed before: never alert twice
        return False
    return True


def _process_locked(clock: SlaClock, *, now: datetime) -> int:
    """Cross every threshold of a locked clock whose time has come. Returns how many.

    `clock.case` (with its store) is expected to be loaded with the clock, not locked.
    """
    if not clock.is_open or clock.next_check_at is None or clock.next_check_at > now:
        return 0
    case = clock.case
    # The case wins over the clock row: if the receiver that should have stopped this clock
    # failed or raced with this sweep, settle the clock now and alert nobody.
    if _settle_with_case(clock, case, now=now):
        return 0
    due = deadlines.due_now(_thresholds(clock), crossed=set(clock.crossed), now=now)
    if not due:
        _refresh_next_check(clock)
        clock.save(update_fields=["next_check_at"])
        return 0
    names = {t.name for t in due}
    # Ladder levels that fall at the breach itself (level 1 by default) ride on the breach alert
    # instead of sending a second message at the same moment.
    with_breach = [t for t in due if t.level and BREACH in names and t.at <= clock.due_at]
    breach_targets: list[str] = []
    crossed = 0
    for threshold in due:
        # A warning reached together with its breach is moot: record it, send only the breach.
        alerted = not (threshold.name == WARNING and BREACH in names)
        if threshold in with_breach:
            alerted = False
        if not _record_crossing(clock, threshold, now=now, alerted=alerted):
            continue
        crossed += 1
        key = f"sla:{clock.pk}:{threshold.name}"
        if threshold.name == WARNING and alerted:
            _dispatch(
                _build_alert(
                    case,
                    kind=AlertKind.SLA_WARNING,
                    dedupe_key=key,
                    clock=clock,
                    audience=WARNING_AUDIENCE,
                    roles=WARNING_AUDIENCE,
                    threshold=WARNING,
                    notify_assignee=True,
                )
            )
        elif threshold.name == BREACH:
            clock.state = ClockState.BREACHED
            _timeline(case, EventKind.SLA_BREACHED, clock=clock, now=now)
            level = max((t.level for t in with_breach), default=None)
            audience = tuple(dict.fromkeys(r for t in with_breach for r in t.audience))
            breach_targets = _dispatch(
                _build_alert(
                    case,
                    kind=AlertKind.SLA_BREACH,
                    dedupe_key=key,
                    clock=clock,
                    level=level,
                    audience=audience,
                    roles=audience or BREACH_AUDIENCE,
                    threshold=BREACH,
                    notify_assignee=True,
                )
            )
        elif threshold.level:
            notified = (
                breach_targets
                if not alerted
                else _dispatch(
                    _build_alert(
                        case,
                        kind=AlertKind.ESCALATION,
                        dedupe_key=key,
                        clock=clock,
                        level=threshold.level,
                        audience=threshold.audience,
                        roles=threshold.audience,
                        threshold=threshold.name,
                    )
                )
            )
            _escalation, created = Escalation.objects.get_or_create(
                clock=clock,
                level=threshold.level,
                defaults={
                    "case": case,
                    "reached_at": now,
                    "audience": list(threshold.audience),
                    "notified": notified,
                },
            )
            if created:
                _timeline(case, EventKind.ESCALATED, clock=clock, now=now, level=threshold.level)
            clock.escalation_level = max(clock.escalation_level, threshold.level)
    clock.crossed = [*clock.crossed, *(t.name for t in due if t.name not in clock.crossed)]
    _refresh_next_check(clock)
    clock.save(update_fields=["state", "crossed", "escalation_level", "next_check_at"])
    return crossed


def sla_clock_process(*, clock_id: int, now: datetime | None = None) -> int:
    """Look at one clock now (the nudge task): cross what is due. Quiet if it is gone or busy."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = _lockable(SlaClock.objects.filter(pk=clock_id))
        clock = qs.first()
        if clock is None:
            return 0
        return _process_locked(clock, now=now)


def sla_sweep(
    *,
    now: datetime | None = None,
    batch_size: int = 200,
    time_budget: timedelta = timedelta(seconds=20),
) -> int:
    """Cross the due thresholds of every clock whose `next_check_at` has come, batch by batch.

    Rows are locked with SKIP LOCKED on PostgreSQL, so several sweepers (or a nudge) share the
    work instead of waiting on each other; a clock one of them holds is simply left to it. One
    clock failing does not stop the others: it is looked at again after `RETRY_DELAY`.
    """
    started = monotonic_time.monotonic()
    processed = 0
    while True:
        batch_now = now or timezone.now()
        with transaction.atomic():
            qs = _lockable(
                SlaClock.objects.filter(next_check_at__lte=batch_now).order_by("next_check_at")
            )
            clocks = list(qs[:batch_size])
            for clock in clocks:
                try:
                    with transaction.atomic():
                        _process_locked(clock, now=batch_now)
                except Exception:
                    logger.exception("SLA clock %s could not be processed", clock.pk)
                    SlaClock.objects.filter(pk=clock.pk).update(
                        next_check_at=batch_now + RETRY_DELAY
                    )
        processed += len(clocks)
        elapsed = monotonic_time.monotonic() - started
        if len(clocks) < batch_size or elapsed > time_budget.total_seconds():
            break
    sweeper_heartbeat_record(
        duration_ms=(monotonic_time.monotonic() - started) * 1000, processed=processed
    )
    return processed


def _lockable(qs):
    """Clocks with their case and store in the same query, locked with SKIP LOCKED where the
    database has it: a clock another sweeper (or a nudge) holds is left to it. Only the clock
    rows are locked (`of=("self",)`), never the cases people are working on."""
    qs = qs.select_related("case__store", "case__assignee")
    features = connection.features
    if features.has_select_for_update_skip_locked:
        of = ("self",) if features.has_select_for_update_of else ()
        qs = qs.select_for_update(skip_locked=True, of=of)
    return qs


def sweeper_heartbeat_record(*, duration_ms: float, processed: int) -> None:
    """When the sweeper last finished, by the real clock: a sweep run for another `now` (a test,
    a replay) must not make /healthz believe the sweeper ran at that time."""
    SweeperHeartbeat.objects.update_or_create(
        name=SWEEPER_NAME,
        defaults={
            "last_run_at": timezone.now(),
            "last_duration_ms": duration_ms,
            "last_processed": processed,
        },
    )


# --- acknowledgement -----------------------------------------------------------------------


def _timeline(case, kind, *, clock, now, level=None, actor=None):
    """Put an SLA fact on the case's timeline, worded in the site's language. Only the fact: the
    timeline is also the store's view, so the desk's own words (an acknowledgement's note) stay
    on the escalation record."""
    with translation.override(settings.LANGUAGE_CODE):
        what = str(ClockKind(clock.kind).label)
        if level is not None:
            what = _("%(clock)s clock, level %(level)d") % {"clock": what, "level": level}
        else:
            what = _("%(clock)s clock") % {"clock": what}
    case_services.case_log_event(
        case=case,
        kind=kind,
        actor=actor,
        now=now,
        note=what,
        data={"clock": clock.kind, "level": level},
    )


def escalation_acknowledge(
    *, escalation: Escalation, actor, note: str = "", now: datetime | None = None
) -> Escalation:
    """Record that `actor` has the escalation in hand; no further levels for its clock.

    The case's other clock is not affected: breaching it escalates as usual.
    """
    now = now or timezone.now()
    if not actor.has_perm("escalation.acknowledge_escalation"):
        raise NotPermitted()
    if not case_visible_to(actor).filter(pk=escalation.case_id).exists():
        raise NotPermitted()  # a store-scoped supervisor acknowledges only cases they may see
    with transaction.atomic():
        locked = Escalation.objects.select_for_update().filter(pk=escalation.pk).first()
        if locked is None:
            raise Conflict()
        if locked.acknowledged_at is not None:
            raise Conflict(_("This escalation was already acknowledged."))
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
        locked.acknowledge_note = note.strip()
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledge_note"])
        clock = SlaClock.objects.select_for_update().get(pk=locked.clock_id)
        _timeline(
            locked.case,
            EventKind.ESCALATION_ACKNOWLEDGED,
            clock=clock,
            now=now,
            level=locked.level,
            actor=actor,
        )
        clock.ladder_stopped_after = max(clock.escalation_level, locked.level)
        _refresh_next_check(clock)
        clock.save(update_fields=["ladder_stopped_after", "next_check_at"])
    return locked
