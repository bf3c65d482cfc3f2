"""Triage of cases: read a case's facts, run triage on plain values, apply the outcome.

Contract:
- `case_triage(case_id=..., trigger=...)` re-reads the case, triages its text (title, description
  and the notes that carry the customer's information — not the desk's internal notes), channel,
  category, amount and repeat history (same phone or order within the rule set's window), records
  a `TriageRun` and applies the result through `cases.services`:
  * not overridden: a higher level is stored with `only_raise=True`, so the decision is taken
    under the case's row lock and a slower, concurrent triage can never lower a level that another
    one raised meanwhile; the same level only refreshes the score and reasons, after re-checking
    the level under the lock (triage never lowers a level by itself; a person does that, with a
    reason);
  * overridden by a person: a higher level is only stored as a suggestion (`case_set_risk` with
    `actor=None` does that and announces `case_risk_suggested`);
  * the category is suggested when the reporter chose `other`.
  A case that is no longer open is triaged and recorded but left as it is.
- `case_red_suggestion_alert(case_id=...)` alerts the red audience once when triage proposes red
  on a case a person set lower.
- `settled_training_rows()` gives triage the levels handlers settled on as plain `(text, level)`
  rows for training (registered as a training source when this module is imported).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.models import (
    OPEN_STATES,
    RISK_ORDER,
    Case,
    CaseEvent,
    Category,
    Channel,
    EventKind,
    RiskLevel,
    State,
)
from core.masking import scrub_phones
from notifications.alerts import Alert, AlertKind
from triage import selectors as triage_selectors
from triage import services as triage_services
from triage import vocab
from triage.models import Outcome, TriageRun, Trigger

logger = logging.getLogger(__name__)

NOTE_KINDS = (EventKind.NOTE, EventKind.CONTACT_ATTEMPT, EventKind.MERGED_IN)
SETTLED_STATES = (State.CLOSED, State.ARCHIVED)

OUTCOME_APPLIED = Outcome.APPLIED
OUTCOME_SUGGESTED = Outcome.SUGGESTED
OUTCOME_KEPT = Outcome.KEPT


# Most text triage reads for one case: the title, the description and then the newest notes
# that fit (new information is what re-triage is for), so a case with years of notes, or a
# pasted novel, costs the same as an ordinary one.
MAX_TRIAGE_TEXT = 30_000


def _text_of(case: Case, notes: list[str]) -> str:
    parts = [part for part in (case.title, case.description) if part]
    room = MAX_TRIAGE_TEXT - sum(len(p) + 1 for p in parts)
    newest = []
    for note in reversed(notes):
        if not note:
            continue
        if len(note) + 1 > room:
            break
        newest.append(note)
        room -= len(note) + 1
    return "\n".join([*parts, *reversed(newest)])[:MAX_TRIAGE_TEXT]


def is_customer_info(data: dict | None) -> bool:
    """Whether a note event holds the customer's information (triaged) or the desk's own words.

    Events written before `customer_info` existed count as information, as they always did.
    """
    return (data or {}).get("customer_info", True) is not False


def case_triage_text(*, case: Case) -> str:
    notes = [
        note
        for note, data in CaseEvent.objects.filter(case=case, kind__in=NOTE_KINDS)
        .order_by("created_at", "id")
        .values_list("note", "data")
        if is_customer_info(data)
    ]
    return _text_of(case, notes)


def case_repeat_count(*, case: Case, window_days: int) -> int:
    """Earlier complaints with the same phone or order reference within the window."""
    same = Q()
    if case.customer_phone:
        same |= Q(customer_phone=case.customer_phone)
    if case.order_ref:
        same |= Q(order_ref=case.order_ref)
    if not same:
        return 0
    since = case.received_at - timedelta(days=window_days)
    return (
        Case.objects.filter(same, received_at__gte=since, received_at__lte=case.received_at)
        .exclude(pk=case.pk)
        .exclude(state=State.MERGED)
        .count()
    )


def case_triage(*, case_id: int, trigger: str, now: datetime | None = None) -> TriageRun | None:
    """Triage the case as it is now; None when it is gone."""
    now = now or timezone.now()
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return None
    started = time.perf_counter()
    rules = triage_selectors.rules_compiled()
    # Stored reasons (fact sentences, the empty reason) read the same whoever caused the run.
    with translation.override(settings.LANGUAGE_CODE):
        result = triage_selectors.triage_text(
            text=case_triage_text(case=case),
            channel=case.channel,
            # The label, not the code, in the evidence handlers and alerts read.
            channel_label=str(case.get_channel_display()) if case.channel else "",
            category=case.category,
            repeat_count=case_repeat_count(case=case, window_days=rules.spec.repeat_window_days),
            amount=case.amount,
            rules=rules,
        )
        reason = result.reason_text or _("No risk signal found.")
    duration_ms = (time.perf_counter() - started) * 1000

    outcome = OUTCOME_KEPT
    if case.state in OPEN_STATES:
        outcome = _apply(
            case=case, result=result, reason=reason, now=now, initial=trigger == Trigger.INTAKE
        )
        if (
            case.category == Category.OTHER
            and result.suggested_category
            and result.suggested_category != case.suggested_category
        ):
            case_services.case_set_suggested_category(case=case, category=result.suggested_category)
    return triage_services.triage_run_record(
        case_id=case.pk,
        case_number=case.number,
        trigger=trigger,
        result=result,
        outcome=outcome,
        duration_ms=duration_ms,
        now=now,
    )


def _apply(*, case: Case, result, reason: str, now: datetime, initial: bool = False) -> str:
    """Store the result on the case, never lowering its level; returns the run's outcome.

    `case` is an unlocked snapshot: every decision that depends on the current level is taken
    again under the row lock (by `case_set_risk(only_raise=True)`, or here for a refresh).
    """
    arguments = {
        "case": case,
        "level": result.level,
        "reason": reason,
        "actor": None,
        "score": result.score,
        "reasons": result.reasons,
        "now": now,
    }
    if RISK_ORDER[result.level] > RISK_ORDER[case.risk_level]:
        locked = case_services.case_set_risk(only_raise=True, initial=initial, **arguments)
        if locked.risk_overridden:
            suggested = (locked.risk_suggestion or {}).get("level") == result.level
            return OUTCOME_SUGGESTED if suggested else OUTCOME_KEPT
        return OUTCOME_APPLIED if locked.risk_level == result.level else OUTCOME_KEPT
    if result.level != case.risk_level or case.risk_overridden:
        return OUTCOME_KEPT
    # The same level: refresh the score and reasons, but only if the level is still the same
    # and nobody overrode it since the snapshot was read.
    with transaction.atomic():
        current = (
            Case.objects.select_for_update()
            .filter(pk=case.pk)
            .values_list("risk_level", "risk_overridden")
            .first()
        )
        if current != (result.level, False):
            return OUTCOME_KEPT
        case_services.case_set_risk(**arguments)
    return OUTCOME_APPLIED


def _case_url(case: Case) -> str:
    try:
        path = reverse("admin:cases_case_change", args=[case.pk])
    except NoReverseMatch:
        path = f"/admin/cases/case/{case.pk}/change/"
    return settings.SITE_URL + path


def case_red_suggestion_alert(*, case_id: int) -> bool:
    """Tell the red audience that triage now reads a person-set case as red; once per case."""
    case = Case.objects.select_related("store").filter(pk=case_id).first()
    if case is None or not case.is_open:
        return False
    suggestion = case.risk_suggestion or {}
    if suggestion.get("level") != RiskLevel.RED or case.risk_level == RiskLevel.RED:
        return False
    from escalation.services import RED_AUDIENCE
    from notifications.services import alert_dispatch

    alert_dispatch(
        alert=Alert(
            kind=AlertKind.CASE_RED,
            dedupe_key=f"risk-suggested:{case.pk}:red",
            case_number=case.number,
            title=case.title,
            risk_level=RiskLevel.RED,
            store_code=case.store.code,
            store_name=case.store.name,
            region=case.store.region,
            url=_case_url(case),
            extra={
                "suggested": True,
                "current_level": case.risk_level,
                "masked_phone": case.masked_phone,
                "channel": case.channel,
                "category": case.category,
                "risk_reason": suggestion.get("reason", ""),
                "risk_reasons": suggestion.get("reasons", []),
            },
            # the same people a case turning red reaches, with or without routes
            roles=RED_AUDIENCE,
        )
    )
    return True


@shared_task(
    name="escalation.triage_flow.case_triage_task",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def case_triage_task(case_id: int, trigger: str) -> None:
    """Retry path when triage failed inside a receiver; the receiver never fails the request."""
    case_triage(case_id=case_id, trigger=trigger)


def case_risk_feedback(
    *, case_id: int, old_level: str, new_level: str, reason: str, actor_id: int | None
) -> None:
    """A person changed the level: keep it, with the text triage read, as a labelled example.

    Customer numbers in the text are masked before it is kept (the feedback is exported as
    training data and read by people who may not see them).
    """
    case = Case.objects.filter(pk=case_id).first()
    if case is None or actor_id is None:
        return
    actor = get_user_model().objects.filter(pk=actor_id).values_list("username", flat=True).first()
    triage_services.triage_feedback_record(
        case_id=case.pk,
        case_number=case.number,
        text=scrub_phones(case_triage_text(case=case)),
        old_level=old_level,
        new_level=new_level,
        reason=scrub_phones(reason or ""),
        actor=actor or "",
        channel=case.channel,
        category=case.category,
    )


def settled_training_rows() -> list[tuple[str, str]]:
    """`(text, level)` for every case whose level a person set or accepted by closing it.

    The text is what triage reads: title, description and the customer's information.
    """
    notes = Prefetch(
        "events",
        queryset=CaseEvent.objects.filter(kind__in=NOTE_KINDS).order_by("created_at", "id"),
        to_attr="triage_notes",
    )
    cases = (
        Case.objects.filter(Q(risk_overridden=True) | Q(state__in=SETTLED_STATES))
        .only("pk", "title", "description", "risk_level")
        .prefetch_related(notes)
        .order_by("pk")
    )
    return [
        (
            _text_of(case, [e.note for e in case.triage_notes if is_customer_info(e.data)]),
            case.risk_level,
        )
        for case in cases.iterator(chunk_size=500)
    ]


triage_services.register_training_source(settled_training_rows)
# The codes with their (lazy) labels: the preview API and the admin refuse unknown codes, and
# evidence names a channel as people call it.
vocab.configure(channels=Channel.choices, categories=Category.choices)
__all__ = ["Trigger", "case_red_suggestion_alert", "case_triage", "settled_training_rows"]
