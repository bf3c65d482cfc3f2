"""Celery tasks of the SLA engine. They take ids, re-read the database and are idempotent.

The 1 h / 24 h deadlines are never scheduled as ETA tasks (a Redis broker redelivers tasks whose
ETA exceeds its visibility timeout): the beat-driven `sla_sweep` finds due rows every few seconds.
`sla_clock_check` is only a short nudge for a threshold seconds away.
"""

from datetime import datetime

from celery import shared_task

from escalation import services


@shared_task(name="escalation.tasks.sla_sweep", ignore_result=True)
def sla_sweep() -> int:
    return services.sla_sweep()


@shared_task(name="escalation.tasks.sla_clock_check", ignore_result=True)
def sla_clock_check(clock_id: int) -> int:
    return services.sla_clock_process(clock_id=clock_id)


@shared_task(
    name="escalation.tasks.sla_case_sync",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    max_retries=5,
)
def sla_case_sync(case_id: int) -> None:
    """What the receivers do, for when they failed: create clocks, re-time, red alert."""
    services.sla_clocks_ensure(case_id=case_id)
    services.sla_clocks_retime(case_id=case_id)
    services.sla_clocks_reconcile(case_id=case_id)
    services.case_red_alert_send(case_id=case_id)


@shared_task(
    name="escalation.tasks.sla_case_transition_sync",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    max_retries=5,
)
def sla_case_transition_sync(case_id: int, transition: str, at: str) -> None:
    """What the transition receiver does, for when it failed; then the clocks are checked against
    the case. Both steps are idempotent, so a retry or a late run does no harm."""
    services.sla_case_transitioned(
        case_id=case_id, transition=transition, at=datetime.fromisoformat(at)
    )
    services.sla_clocks_reconcile(case_id=case_id)


@shared_task(name="escalation.tasks.handoff_reconcile", ignore_result=True)
def handoff_reconcile() -> dict:
    """Beat: complete the after-commit work cases miss (see `escalation.handoffs`)."""
    from escalation.handoffs import handoff_reconcile as reconcile

    return reconcile()
