"""Durable hand-offs: what must follow a case's commit happens even if the process that made the
commit dies, or the broker is down, before doing it.

Right after a case commits, the receivers create its SLA clocks, triage it and send the red alert
(and hand the work to a retrying task if they fail). Both run in the process that committed, so a
crash between the commit and the receivers — or a failure while the broker is down, when the
retry task cannot be enqueued either — would leave the case without them. `handoff_reconcile`,
run by beat every `HANDOFF_RECONCILE_INTERVAL_SECONDS`, finds open cases committed more than
`HANDOFF_GRACE_SECONDS` ago (the receivers' time to do their work) that miss any of:

- their first-response and close clocks → `sla_clocks_ensure`;
- a triage run → `case_triage` (trigger `intake`), which may raise the level;
- clocks timed for the current risk level → `sla_clocks_retime`;
- their red alert, when red → `case_red_alert_send`;

and completes them. Every step is idempotent (unique rows, row locks), so a case the receivers
are completing at the same moment is not served twice. Later hand-offs (group detection, …) add
their own check here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cases.models import OPEN_STATES, Case, RiskLevel
from escalation import services, triage_flow
from escalation.models import OPEN_CLOCK_STATES, RedAlert, SlaClock
from triage.models import TriageRun, Trigger

logger = logging.getLogger(__name__)


def cases_missing_handoffs(*, now: datetime, limit: int = 500):
    """Open cases, committed between the lookback and the grace period ago, missing a hand-off."""
    grace = timedelta(seconds=settings.HANDOFF_GRACE_SECONDS)
    lookback = timedelta(days=settings.HANDOFF_LOOKBACK_DAYS)
    clocks = SlaClock.objects.filter(case=OuterRef("pk"))
    running = clocks.filter(state__in=OPEN_CLOCK_STATES)
    # Timed for a lower level than the case has now (a lower level never loosens a clock).
    below_red = running.filter(timed_for_risk__in=[RiskLevel.BLUE, RiskLevel.YELLOW])
    below_yellow = running.filter(timed_for_risk=RiskLevel.BLUE)
    return (
        Case.objects.filter(
            state__in=OPEN_STATES, created_at__lte=now - grace, created_at__gte=now - lookback
        )
        .annotate(
            has_clocks=Exists(clocks),
            clocks_below_red=Exists(below_red),
            clocks_below_yellow=Exists(below_yellow),
            has_triage=Exists(TriageRun.objects.filter(case_id=OuterRef("pk"))),
            has_red_alert=Exists(RedAlert.objects.filter(case=OuterRef("pk"))),
        )
        .filter(
            Q(has_clocks=False)
            | Q(has_triage=False)
            | Q(risk_level=RiskLevel.RED, clocks_below_red=True)
            | Q(risk_level=RiskLevel.YELLOW, clocks_below_yellow=True)
            | Q(risk_level=RiskLevel.RED, has_red_alert=False)
        )
        .order_by("created_at", "pk")[:limit]
    )


def handoff_reconcile(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Complete the hand-offs cases miss; returns how many of each were done."""
    now = now or timezone.now()
    done = {"clocks": 0, "triage": 0, "retimed": 0, "red_alert": 0, "failed": 0}
    for case in cases_missing_handoffs(now=now, limit=limit):
        try:
            if not case.has_clocks and services.sla_clocks_ensure(case_id=case.pk, now=now):
                done["clocks"] += 1
            if not case.has_triage and triage_flow.case_triage(
                case_id=case.pk, trigger=Trigger.INTAKE, now=now
            ):
                done["triage"] += 1
            # Triage may have raised the level: re-time and alert from the case as it is now.
            if services.sla_clocks_retime(case_id=case.pk, now=now):
                done["retimed"] += 1
            if services.case_red_alert_send(case_id=case.pk, now=now):
                done["red_alert"] += 1
        except Exception:
            done["failed"] += 1
            logger.exception("hand-offs of case %s could not be completed; next sweep", case.pk)
    if any(done.values()):
        logger.warning("hand-off reconcile completed missing work: %s", done)
    return done
