"""Reads of cases, always through the viewer's visibility: store staff see their stores only."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cases.models import (
    Case,
    CaseEvent,
    CloseReason,
    ContactOutcome,
    EventKind,
    RiskLevel,
    State,
)
from cases.transitions import TRANSITIONS, TransitionSpec
from core.exceptions import NotFound


def case_visible_to(user) -> QuerySet[Case]:
    qs = Case.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.has_perm("cases.view_all_cases"):
        return qs
    if not user.has_perm("cases.view_case"):
        return qs.none()
    return qs.filter(store__staff=user)


def case_list(*, user) -> QuerySet[Case]:
    return case_visible_to(user).select_related("store", "assignee", "reporter")


def case_get(*, number: str, user) -> Case:
    """The case with this number if `user` may see it; NotFound otherwise (never 403: no leak)."""
    case = case_list(user=user).filter(number=number).first()
    if case is None:
        raise NotFound()
    return case


def case_events(*, case: Case, user=None) -> QuerySet[CaseEvent]:
    """The timeline; store staff (and anyone who does not see every store) do not see the desk's
    internal notes."""
    events = case.events.select_related("actor").order_by("created_at", "id")
    if user is not None and not user.has_perm("cases.view_all_cases"):
        # notes written before the flag existed have no key: they count as the customer's
        events = events.exclude(
            kind__in=[EventKind.NOTE, EventKind.CONTACT_ATTEMPT],
            data__has_key="customer_info",
            data__customer_info=False,
        )
    return events


def case_timeline(*, case: Case, user=None) -> list[dict]:
    """The case's events as display rows: codes become their translated labels, user ids names."""
    events = list(case_events(case=case, user=user))
    sees_every_store = user is None or user.has_perm("cases.view_all_cases")
    states, levels = dict(State.choices), dict(RiskLevel.choices)
    outcomes = dict(ContactOutcome.choices)
    user_ids = {
        event.data.get(key)
        for event in events
        if event.kind == EventKind.ASSIGNED
        for key in ("from", "to")
    } - {None}
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    rows = []
    for event in events:
        data = event.data or {}
        detail = ""
        if event.from_state or event.to_state:
            detail = " → ".join(
                str(states.get(s, s)) for s in (event.from_state, event.to_state) if s
            )
            if data.get("close_reason"):
                reason = dict(CloseReason.choices).get(data["close_reason"], data["close_reason"])
                detail = f"{detail} ({reason})"
        elif event.kind == EventKind.RISK_CHANGED and data.get("initial"):
            detail = _("triaged at intake: %(level)s") % {
                "level": levels.get(data.get("to"), data.get("to"))
            }
        elif event.kind == EventKind.RISK_CHANGED:
            detail = " → ".join(
                str(levels.get(data.get(k), data.get(k))) for k in ("from", "to") if data.get(k)
            )
        elif event.kind == EventKind.ASSIGNED:
            detail = " → ".join(names.get(data.get(k), "—") for k in ("from", "to"))
        elif event.kind == EventKind.ATTACHMENT:
            detail = data.get("name", "")
        elif event.kind == EventKind.CONTACT_ATTEMPT and data.get("outcome"):
            detail = str(outcomes.get(data["outcome"], data["outcome"]))
        note = event.note
        if not sees_every_store and event.kind == EventKind.RISK_CHANGED and not event.actor_id:
            # Triage's note is its reason line, which may count other stores' cases (the repeat
            # history); a store reads the current reasons, filtered for it, in the case's facts.
            note = ""
        rows.append({"event": event, "detail": detail, "note": note})
    return rows


def case_available_transitions(*, case: Case, user) -> list[TransitionSpec]:
    """Transitions the user's role allows that the case's current state allows too."""
    available = {t.name for t in case.get_available_state_transitions()}
    return [
        spec
        for name, spec in TRANSITIONS.items()
        if name in available and user.has_perm(spec.permission)
    ]


def case_store_choices(*, user):
    from core.models import Store

    if user.has_perm("cases.view_all_cases"):
        return Store.objects.filter(is_active=True)
    return Store.objects.filter(is_active=True, staff=user)
