"""The one write path for cases. Every change locks the row, checks permission and guards,
applies, saves with `update_fields`, appends a `CaseEvent` and announces itself on commit.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from cases import signals
from cases.models import (
    RISK_ORDER,
    Attachment,
    Case,
    CaseEvent,
    CloseReason,
    ContactOutcome,
    DailyCaseCounter,
    EventKind,
    RiskLevel,
)
from cases.transitions import TRANSITIONS
from cases.validators import validate_attachment
from core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from core.masking import normalize_phone
from core.models import Store

MIN_CONTACT_ATTEMPTS_FOR_UNREACHABLE = 2
# Longest accepted free text: a complaint is read by people (and triaged on every change).
MAX_DESCRIPTION_LENGTH = 20_000
MAX_NOTE_LENGTH = 10_000


def _check_length(field: str, text: str, limit: int) -> None:
    if len(text or "") > limit:
        raise InvalidInput(
            fields={
                field: _("At most %(limit)d characters (it has %(length)d).")
                % {"limit": limit, "length": len(text)}
            }
        )


@dataclass(frozen=True)
class CaseIntake:
    title: str
    description: str
    channel: str
    category: str
    store: Store
    received_at: datetime | None = None
    order_ref: str = ""
    amount: Decimal | None = None
    customer_name: str = ""
    customer_phone: str = ""
    customer_contact: str = ""


def _send_on_commit(signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=Case, **kwargs))


def _event(case: Case, *, actor, kind: str, at: datetime, **fields) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor, kind=kind, created_at=at, **fields)


def _lock(case: Case) -> Case:
    try:
        return Case.objects.select_for_update().get(pk=case.pk)
    except Case.DoesNotExist as exc:  # deleted under us
        raise NotFound() from exc


def user_can_access_store(user, store: Store) -> bool:
    if user.has_perm("cases.view_all_cases"):
        return True
    return store.staff.filter(pk=user.pk).exists()


def _next_number(day) -> str:
    """KS-YYYYMMDD-NNNN, sequential per local day. Must run inside the intake transaction."""
    updated = DailyCaseCounter.objects.filter(day=day).update(last_value=F("last_value") + 1)
    if not updated:
        try:
            with transaction.atomic():
                DailyCaseCounter.objects.create(day=day, last_value=1)
        except IntegrityError:  # another intake created today's row first
            DailyCaseCounter.objects.filter(day=day).update(last_value=F("last_value") + 1)
    value = DailyCaseCounter.objects.get(day=day).last_value
    return f"KS-{day:%Y%m%d}-{value:04d}"


def _fingerprint(intake: CaseIntake) -> str:
    values = {k: str(v) for k, v in vars(intake).items() if k != "store"}
    values["store"] = intake.store.code
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _same_request(existing: Case, fingerprint: str) -> Case:
    """A retried intake returns its case; the same key with different content is a client bug."""
    if existing.intake_fingerprint and existing.intake_fingerprint != fingerprint:
        raise Conflict(_("This Idempotency-Key was already used for a different complaint."))
    return existing


def validate_received_at(received_at: datetime, *, now: datetime) -> None:
    """When the customer complained: not in the future, and not so long ago that it is a typo.

    SLA clocks count from it, so a mistyped year would make a case overdue at once.
    """
    if received_at > now + timedelta(minutes=5):
        raise InvalidInput(
            fields={"received_at": _("The complaint cannot be received in the future.")}
        )
    limit = settings.CASE_MAX_BACKDATE_DAYS
    if received_at < now - timedelta(days=limit):
        raise InvalidInput(
            fields={
                "received_at": _(
                    "The complaint cannot have been received more than %(days)d days ago."
                )
                % {"days": limit}
            }
        )


def case_create(
    *, intake: CaseIntake, actor, idempotency_key: str = "", now: datetime | None = None
) -> tuple[Case, bool]:
    """Create a case; returns `(case, created)`. A repeated idempotency key returns the first case."""
    now = now or timezone.now()
    if not actor.has_perm("cases.add_case"):
        raise NotPermitted()
    if not user_can_access_store(actor, intake.store):
        raise InvalidInput(fields={"store": _("You may not report cases for this store.")})
    received_at = intake.received_at or now
    validate_received_at(received_at, now=now)
    _check_length("description", intake.description, MAX_DESCRIPTION_LENGTH)
    fingerprint = _fingerprint(intake)
    if idempotency_key:
        existing = Case.objects.filter(reporter=actor, intake_key=idempotency_key).first()
        if existing:
            return _same_request(existing, fingerprint), False
    try:
        with transaction.atomic():
            case = Case(
                number=_next_number(timezone.localdate(now)),
                title=intake.title,
                description=intake.description,
                channel=intake.channel,
                category=intake.category,
                store=intake.store,
                order_ref=intake.order_ref,
                amount=intake.amount,
                customer_name=intake.customer_name,
                customer_phone=normalize_phone(intake.customer_phone),
                customer_contact=intake.customer_contact,
                reporter=actor,
                received_at=received_at,
                intake_key=idempotency_key,
                intake_fingerprint=fingerprint if idempotency_key else "",
            )
            case.save()
            _event(
                case,
                actor=actor,
                kind=EventKind.CREATED,
                at=now,
                to_state=case.state,
                data={"channel": case.channel, "category": case.category},
            )
            _send_on_commit(
                signals.case_created,
                case_id=case.pk,
                received_at=received_at,
                risk_level=case.risk_level,
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        # The same key raced us and won: answer with its case.
        existing = Case.objects.get(reporter=actor, intake_key=idempotency_key)
        return _same_request(existing, fingerprint), False
    return case, True


EDITABLE_FIELDS = ("title", "description", "channel", "category", "order_ref", "amount")


def case_update_details(*, case: Case, actor, changes: dict, now: datetime | None = None) -> Case:
    """Edit descriptive fields (not state, risk, people or customer data); records what changed."""
    now = now or timezone.now()
    if not actor.has_perm("cases.change_case"):
        raise NotPermitted()
    _check_length("description", changes.get("description", ""), MAX_DESCRIPTION_LENGTH)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: _("This field cannot be edited.") for name in unknown})
    with transaction.atomic():
        locked = _lock(case)
        changed = {}
        for name, value in changes.items():
            old = getattr(locked, name)
            if old != value:
                changed[name] = {
                    "from": str(old) if old is not None else None,
                    "to": str(value) if value is not None else None,
                }
                setattr(locked, name, value)
        if not changed:
            return locked
        locked.save(update_fields=[*changed, "updated_at"])
        _event(locked, actor=actor, kind=EventKind.UPDATED, at=now, data=changed)
        _send_on_commit(signals.case_details_changed, case_id=locked.pk, fields=sorted(changed))
    return locked


def _merge_target_id(case: Case, number: str) -> int:
    number = number.strip().upper()
    target_id = Case.objects.filter(number=number).values_list("pk", flat=True).first()
    if target_id is None:
        raise InvalidInput(fields={"into": _("No case with this number.")})
    if target_id == case.pk:
        raise InvalidInput(fields={"into": _("A case cannot be merged into itself.")})
    if not Case.objects.filter(pk=target_id, store_id=case.store_id).exists():
        # the target's timeline carries the merged complaint, and each store sees only its own
        raise InvalidInput(
            fields={"into": _("A case can only be merged into a case of the same store.")}
        )
    return target_id


def _lock_many(ids: list[int]) -> dict[int, Case]:
    """Lock several cases in primary-key order, so two transactions never wait on each other."""
    return {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _check_guards(case: Case, name: str, data: dict, target: Case | None) -> dict:
    """Business guards beyond the state graph; returns the model method's extra arguments."""
    if name == "close" and data["close_reason"] == CloseReason.CUSTOMER_UNREACHABLE:
        attempts = case.events.filter(
            kind=EventKind.CONTACT_ATTEMPT, data__outcome=ContactOutcome.UNREACHABLE
        ).count()
        if attempts < MIN_CONTACT_ATTEMPTS_FOR_UNREACHABLE:
            raise InvalidInput(
                fields={
                    "close_reason": _(
                        "Closing as unreachable needs at least %(n)d logged unreachable contact "
                        "attempts; %(have)d so far."
                    )
                    % {"n": MIN_CONTACT_ATTEMPTS_FOR_UNREACHABLE, "have": attempts}
                }
            )
    if name == "merge":
        # `target` is locked: it cannot be merged away or closed while this merge runs.
        if target is None:
            raise InvalidInput(fields={"into": _("No case with this number.")})
        if not target.is_open:
            raise InvalidInput(fields={"into": _("The target case is not open.")})
        return {"into": target}
    return {}


def _repoint_merged(case: Case, target: Case, *, actor, at: datetime) -> None:
    """Cases merged into `case` now follow it into `target`, so no merge chain ever forms."""
    for earlier in Case.objects.select_for_update().filter(merged_into=case).order_by("pk"):
        earlier.merged_into = target
        earlier.save(update_fields=["merged_into", "updated_at"])
        _event(
            earlier,
            actor=actor,
            kind=EventKind.UPDATED,
            at=at,
            data={"merged_into": {"from": case.number, "to": target.number}},
        )


def _record_merged_in(case: Case, target: Case, *, actor, at: datetime) -> None:
    """The target's timeline says what was merged into it; the text counts as new information."""
    text = f"{case.number} {case.title}\n{case.description}"
    _event(
        target,
        actor=actor,
        kind=EventKind.MERGED_IN,
        at=at,
        note=text,
        data={"case": case.number, "customer_info": True},
    )
    _send_on_commit(
        signals.case_note_added,
        case_id=target.pk,
        kind=EventKind.MERGED_IN,
        text=text,
        customer_info=True,
    )


def _field_values(case: Case) -> dict:
    return {f.name: getattr(case, f.attname) for f in Case._meta.concrete_fields}


def case_transition(
    *, case: Case, transition: str, actor, data: dict | None = None, now: datetime | None = None
) -> Case:
    """Run one state transition. Raises NotPermitted, InvalidInput or Conflict; writes nothing then."""
    now = now or timezone.now()
    spec = TRANSITIONS.get(transition)
    if spec is None:
        raise NotFound(_("Unknown transition."))
    if not actor.has_perm(spec.permission):
        raise NotPermitted()
    form = spec.form(data=data or {})
    if not form.is_valid():
        raise InvalidInput(fields={k: " ".join(v) for k, v in form.errors.items()})
    cleaned = form.cleaned_data
    target_id = _merge_target_id(case, cleaned["into"]) if transition == "merge" else None
    try:
        with transaction.atomic():
            if target_id is None:
                locked, target = _lock(case), None
            else:
                rows = _lock_many([case.pk, target_id])
                if case.pk not in rows:
                    raise NotFound()
                locked, target = rows[case.pk], rows.get(target_id)
            from_state = locked.state
            method = getattr(locked, transition)
            if not can_proceed(method):
                raise Conflict(
                    _("“%(transition)s” is not possible while the case is %(state)s.")
                    % {"transition": spec.label, "state": locked.get_state_display()}
                )
            kwargs = {**cleaned, **_check_guards(locked, transition, cleaned, target)}
            before = _field_values(locked)
            method(at=now, actor=actor, **kwargs)
            changed = [
                name for name, value in _field_values(locked).items() if before[name] != value
            ]
            locked.save(update_fields=[*changed, "updated_at"])
            note = cleaned.get("note") or cleaned.get("reason") or cleaned.get("resolution") or ""
            event_data = {k: v for k, v in cleaned.items() if k != "note" and v}
            _event(
                locked,
                actor=actor,
                kind=EventKind.TRANSITION,
                at=now,
                transition=transition,
                from_state=from_state,
                to_state=locked.state,
                note=note,
                data=event_data,
            )
            if transition == "merge":
                _repoint_merged(locked, target, actor=actor, at=now)
                _record_merged_in(locked, target, actor=actor, at=now)
            if "assignee" in changed:
                _event(
                    locked,
                    actor=actor,
                    kind=EventKind.ASSIGNED,
                    at=now,
                    data={"from": before["assignee"], "to": locked.assignee_id},
                )
            _send_on_commit(
                signals.case_transitioned,
                case_id=locked.pk,
                transition=transition,
                from_state=from_state,
                to_state=locked.state,
                at=now,
            )
    except ConcurrentTransition as exc:
        raise Conflict() from exc
    return locked


def case_assign(*, case: Case, assignee, actor, now: datetime | None = None) -> Case:
    now = now or timezone.now()
    if not actor.has_perm("cases.assign_case"):
        raise NotPermitted()
    if assignee is not None and not assignee.has_perm("cases.respond_case"):
        raise InvalidInput(fields={"assignee": _("This user cannot work cases.")})
    with transaction.atomic():
        locked = _lock(case)
        if not locked.is_open:
            raise Conflict(_("Only open cases can be reassigned."))
        old = locked.assignee_id
        new = assignee.pk if assignee else None
        if old == new:
            return locked
        locked.assignee = assignee
        locked.save(update_fields=["assignee", "updated_at"])
        _event(locked, actor=actor, kind=EventKind.ASSIGNED, at=now, data={"from": old, "to": new})
    return locked


def case_set_risk(
    *,
    case: Case,
    level: str,
    reason: str,
    actor,
    score: float | None = None,
    reasons: list | None = None,
    only_raise: bool = False,
    initial: bool = False,
    now: datetime | None = None,
) -> Case:
    """Change the risk level.

    `initial`: the system's first level for a new case (its intake triage), recorded as such
    rather than as a change from the default blue.

    A person (`actor` set) overrides: the reason is required and the case is marked overridden.
    The system (`actor=None`, i.e. triage) sets the level freely until a person has overridden it;
    after that it may only record a *higher* level as a suggestion (`case_risk_suggested`).
    `only_raise=True` makes the system's change conditional, under the row lock, on the new level
    being higher than the current one (so a slower, concurrent triage can never lower it).
    """
    now = now or timezone.now()
    if actor is not None and not actor.has_perm("cases.set_case_risk"):
        raise NotPermitted()
    if level not in RiskLevel.values:
        raise InvalidInput(fields={"risk_level": _("Unknown risk level.")})
    if actor is not None and not reason.strip():
        raise InvalidInput(fields={"reason": _("A reason is required.")})
    with transaction.atomic():
        locked = _lock(case)
        old = locked.risk_level
        if actor is None and locked.risk_overridden:
            if RISK_ORDER[level] > RISK_ORDER[old]:
                locked.risk_suggestion = {
                    "level": level,
                    "score": score,
                    "reasons": reasons or [],
                    "reason": reason,
                    "at": now.isoformat(),
                }
                locked.save(update_fields=["risk_suggestion", "updated_at"])
                _send_on_commit(
                    signals.case_risk_suggested, case_id=locked.pk, level=level, reason=reason
                )
            return locked
        if only_raise and RISK_ORDER[level] <= RISK_ORDER[old]:
            return locked
        locked.risk_level = level
        locked.risk_reason = reason
        fields = ["risk_level", "risk_reason", "updated_at"]
        if actor is not None:
            locked.risk_overridden = True
            locked.risk_suggestion = {}
            fields += ["risk_overridden", "risk_suggestion"]
        if score is not None:
            locked.risk_score = score
            fields.append("risk_score")
        if reasons is not None:
            locked.risk_reasons = reasons
            fields.append("risk_reasons")
        locked.save(update_fields=fields)
        if old != level or actor is not None:
            _event(
                locked,
                actor=actor,
                kind=EventKind.RISK_CHANGED,
                at=now,
                note=reason,
                data={
                    "from": old,
                    "to": level,
                    "score": score,
                    "raised": RISK_ORDER[level] > RISK_ORDER[old],
                    **({"initial": True} if initial and actor is None else {}),
                },
            )
        if old != level:
            _send_on_commit(
                signals.case_risk_changed,
                case_id=locked.pk,
                old_level=old,
                new_level=level,
                reason=reason,
                actor_id=getattr(actor, "pk", None),
            )
    return locked


def case_set_suggested_category(*, case: Case, category: str) -> None:
    """Triage's guess at the category when the reporter chose `other`; a hint, not a change."""
    Case.objects.filter(pk=case.pk).update(suggested_category=category, updated_at=timezone.now())


def case_add_note(
    *,
    case: Case,
    actor,
    kind: str,
    text: str,
    outcome: str = "",
    customer_info: bool | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    """A note or a contact attempt.

    `customer_info` says whether the text is new information from the customer (re-triaged, and
    shown to the store) or the desk's internal working note (not triaged, hidden from store
    staff). By default a contact attempt that reached the customer is information and one that
    did not is internal; a note is information when written by store staff or another system,
    and internal when written by the desk (any role that sees every store's cases).
    """
    now = now or timezone.now()
    if not actor.has_perm("cases.add_case_note") or not user_can_access_store(actor, case.store):
        raise NotPermitted()
    if kind not in (EventKind.NOTE, EventKind.CONTACT_ATTEMPT):
        raise InvalidInput(fields={"kind": _("Choose note or contact_attempt.")})
    if not text.strip():
        raise InvalidInput(fields={"text": _("This field is required.")})
    _check_length("text", text, MAX_NOTE_LENGTH)
    data = {}
    if kind == EventKind.CONTACT_ATTEMPT:
        if outcome not in ContactOutcome.values:
            labels = "、".join(str(label) for label in ContactOutcome.labels)
            raise InvalidInput(
                fields={"outcome": _("Choose the outcome: %(choices)s.") % {"choices": labels}}
            )
        data["outcome"] = outcome
    elif outcome:
        raise InvalidInput(fields={"outcome": _("Only a contact attempt has an outcome.")})
    if not actor.has_perm("cases.view_all_cases"):
        # store staff and systems pass on what the customer said: they cannot file it away as an
        # internal note that nobody at the store sees and triage never reads
        customer_info = True
    if customer_info is None and kind == EventKind.CONTACT_ATTEMPT:
        # a call that reached the customer records what they said; an unanswered one is only
        # the desk's log ("second call, no answer")
        customer_info = outcome == ContactOutcome.REACHED
    if customer_info is None:
        # the desk (every role that sees all stores) writes working notes; store staff and
        # other systems pass on what the customer said
        customer_info = not actor.has_perm("cases.view_all_cases")
    data["customer_info"] = bool(customer_info)
    with transaction.atomic():
        event = _event(case, actor=actor, kind=kind, at=now, note=text.strip(), data=data)
        _send_on_commit(
            signals.case_note_added,
            case_id=case.pk,
            kind=kind,
            text=event.note,
            customer_info=data["customer_info"],
        )
    return event


def case_add_attachment(*, case: Case, actor, uploaded, now: datetime | None = None) -> Attachment:
    now = now or timezone.now()
    if not actor.has_perm("cases.add_case_attachment") or not user_can_access_store(
        actor, case.store
    ):
        raise NotPermitted()
    content_type = validate_attachment(uploaded)
    with transaction.atomic():
        attachment = Attachment(
            case=case,
            original_name=uploaded.name[:255],
            content_type=content_type,
            size=uploaded.size,
            uploaded_by=actor,
        )
        attachment.file.save(uploaded.name, uploaded, save=False)
        attachment.save()
        _event(
            case,
            actor=actor,
            kind=EventKind.ATTACHMENT,
            at=now,
            data={
                "attachment_id": attachment.pk,
                "name": attachment.original_name,
                "size": attachment.size,
                "content_type": content_type,
            },
        )
    return attachment


def case_reveal_customer(*, case: Case, actor, now: datetime | None = None) -> dict:
    """Return the unmasked customer data and record that `actor` saw it."""
    now = now or timezone.now()
    if not actor.has_perm("cases.view_customer_pii"):
        raise NotPermitted()
    _event(
        case,
        actor=actor,
        kind=EventKind.PII_REVEALED,
        at=now,
        data={"fields": ["customer_name", "customer_phone", "customer_contact"]},
    )
    return {
        "customer_name": case.customer_name,
        "customer_phone": case.customer_phone,
        "customer_contact": case.customer_contact,
    }


# Facts other apps record on a case's timeline (the SLA engine: breaches and escalations).
SYSTEM_EVENT_KINDS = (
    EventKind.SLA_BREACHED,
    EventKind.ESCALATED,
    EventKind.ESCALATION_ACKNOWLEDGED,
)


def case_log_event(
    *,
    case: Case,
    kind: str,
    note: str = "",
    data: dict | None = None,
    actor=None,
    now: datetime | None = None,
) -> CaseEvent:
    """Append a fact about the case that another app owns (e.g. an SLA breach) to its timeline.

    Only appends: the case row is not locked, so a sweeper never waits on people working it.
    """
    if kind not in SYSTEM_EVENT_KINDS:
        raise InvalidInput(fields={"kind": _("Not a kind other apps may record.")})
    return _event(
        case, actor=actor, kind=kind, at=now or timezone.now(), note=note, data=data or {}
    )
