"""SLA clock receivers: clocks follow the case's facts.

Each receiver re-reads the case and is idempotent, so it does not matter whether the triage
receiver raises the risk before or after the clocks exist: clocks are created from the *current*
risk level, and a risk change re-times whatever clocks exist by then. A receiver that fails leaves
the work to a task (`escalation.tasks.sla_case_sync`) rather than failing the user's request.
"""

import logging

from django.dispatch import receiver

from cases import signals
from escalation import services

logger = logging.getLogger(__name__)


def _fallback_to_task(case_id: int) -> None:
    logger.exception("SLA receiver failed for case %s; handing over to a task", case_id)
    try:
        from escalation.tasks import sla_case_sync

        sla_case_sync.delay(case_id)
    except Exception:
        logger.exception("could not enqueue sla_case_sync for case %s", case_id)


@receiver(signals.case_created, dispatch_uid="escalation.sla.case_created")
def on_case_created(sender, *, case_id, **kwargs) -> None:
    try:
        services.sla_clocks_ensure(case_id=case_id)
        services.case_red_alert_send(case_id=case_id)
    except Exception:
        _fallback_to_task(case_id)


@receiver(signals.case_risk_changed, dispatch_uid="escalation.sla.case_risk_changed")
def on_case_risk_changed(sender, *, case_id, **kwargs) -> None:
    try:
        services.sla_clocks_retime(case_id=case_id)
        services.case_red_alert_send(case_id=case_id)
    except Exception:
        _fallback_to_task(case_id)


@receiver(signals.case_transitioned, dispatch_uid="escalation.sla.case_transitioned")
def on_case_transitioned(sender, *, case_id, transition, at, **kwargs) -> None:
    try:
        services.sla_case_transitioned(case_id=case_id, transition=transition, at=at)
    except Exception:
        logger.exception(
            "SLA clocks not updated after %s of case %s; handing over to a task",
            transition,
            case_id,
        )
        try:
            from escalation.tasks import sla_case_transition_sync

            sla_case_transition_sync.delay(case_id, transition, at.isoformat())
        except Exception:
            # The sweeper still checks every clock against its case before alerting.
            logger.exception("could not enqueue sla_case_transition_sync for case %s", case_id)
