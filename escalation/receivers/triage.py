"""Triage receivers: triage at intake, on new information from the customer and when the case's
descriptive fields change; alert on a red suggestion.

A note the desk marked as internal (`customer_info=False`) is not the customer's word and
triggers nothing; a change of channel, category, order, amount, title or description does,
since each of them is read by triage.

They run after the cases transaction committed, inside the request that caused it, so a failure
here must never become the user's error: it is logged and handed to a retrying task instead.
Each receiver re-reads the case and does not care whether the SLA receivers ran before it.
"""

import logging

from django.dispatch import receiver

from cases import signals
from escalation import triage_flow
from triage.models import Trigger

logger = logging.getLogger(__name__)


def _triage(case_id: int, trigger: str) -> None:
    try:
        triage_flow.case_triage(case_id=case_id, trigger=trigger)
    except Exception:
        logger.exception("triage failed for case %s; handing over to a task", case_id)
        try:
            triage_flow.case_triage_task.delay(case_id, trigger)
        except Exception:
            logger.exception("could not enqueue triage of case %s", case_id)


@receiver(signals.case_created, dispatch_uid="escalation.triage.case_created")
def on_case_created(sender, *, case_id, **kwargs) -> None:
    _triage(case_id, Trigger.INTAKE)


@receiver(signals.case_note_added, dispatch_uid="escalation.triage.case_note_added")
def on_case_note_added(sender, *, case_id, customer_info=True, **kwargs) -> None:
    if customer_info is False:
        return
    _triage(case_id, Trigger.NEW_INFORMATION)


@receiver(signals.case_details_changed, dispatch_uid="escalation.triage.case_details_changed")
def on_case_details_changed(sender, *, case_id, fields=(), **kwargs) -> None:
    _triage(case_id, Trigger.DETAILS_CHANGED)


@receiver(signals.case_risk_suggested, dispatch_uid="escalation.triage.case_risk_suggested")
def on_case_risk_suggested(sender, *, case_id, level, **kwargs) -> None:
    if level != "red":
        return
    try:
        triage_flow.case_red_suggestion_alert(case_id=case_id)
    except Exception:
        logger.exception("red suggestion alert failed for case %s", case_id)


@receiver(signals.case_risk_changed, dispatch_uid="escalation.triage.case_risk_feedback")
def on_case_risk_changed(sender, *, case_id, old_level, new_level, reason="", actor_id=None, **kw):
    """A handler's change of the level becomes a labelled example for the next training."""
    if actor_id is None:
        return
    try:
        triage_flow.case_risk_feedback(
            case_id=case_id,
            old_level=old_level,
            new_level=new_level,
            reason=reason,
            actor_id=actor_id,
        )
    except Exception:
        logger.exception("risk feedback of case %s could not be kept", case_id)
