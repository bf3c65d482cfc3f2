"""Every state x transition: allowed (and where it lands) or the exact refusal."""

import pytest
from django.utils import translation

from cases.models import Case, State
from cases.services import case_transition
from core.exceptions import Conflict
from tests.factories import CaseFactory

ALLOWED = {
    "respond": {State.NEW: State.RESPONDED},
    "resolve": {State.RESPONDED: State.RESOLVED},
    "close": {State.RESOLVED: State.CLOSED},
    "reopen": {State.RESOLVED: State.RESPONDED, State.CLOSED: State.RESPONDED},
    "archive": {State.CLOSED: State.ARCHIVED, State.MERGED: State.ARCHIVED,
                State.REJECTED: State.ARCHIVED},
    "merge": {State.NEW: State.MERGED, State.RESPONDED: State.MERGED, State.RESOLVED: State.MERGED},
    "reject": {State.NEW: State.REJECTED, State.RESPONDED: State.REJECTED},
}  # fmt: skip
LABELS = {
    "respond": "Respond", "resolve": "Resolve", "close": "Close", "reopen": "Reopen",
    "archive": "Archive", "merge": "Merge", "reject": "Reject",
}  # fmt: skip
STATE_LABELS = {
    "new": "New", "responded": "Responded", "resolved": "Resolved", "closed": "Closed",
    "archived": "Archived", "merged": "Merged", "rejected": "Rejected",
}  # fmt: skip
TABLE = [(state, name, ALLOWED[name].get(state)) for state in State.values for name in ALLOWED]


def _input(name, target):
    return {
        "respond": {"note": "已联系顾客"},
        "resolve": {"resolution": "退款并道歉"},
        "close": {"close_reason": "customer_confirmed"},
        "reopen": {"reason": "顾客不认可"},
        "archive": {},
        "merge": {"into": target.number},
        "reject": {"reason": "无效投诉"},
    }[name]


@pytest.mark.parametrize(
    ("state", "transition", "target_state"), [row for row in TABLE if row[2] is not None]
)
def test_allowed_transitions_land_in_their_target_state(
    state, transition, target_state, supervisor
):
    case = CaseFactory(state=state)
    data = _input(transition, CaseFactory(store=case.store))
    case_transition(case=case, transition=transition, actor=supervisor, data=data)

    reloaded = Case.objects.get(pk=case.pk)
    assert reloaded.state == target_state
    event = reloaded.events.get(kind="transition")
    assert (event.transition, event.from_state, event.to_state, event.actor) == (
        transition, state, target_state, supervisor,
    )  # fmt: skip


@pytest.mark.parametrize(("state", "transition"), [row[:2] for row in TABLE if row[2] is None])
def test_refused_transitions_say_why_and_change_nothing(state, transition, supervisor):
    case = CaseFactory(state=state)
    data = _input(transition, CaseFactory(store=case.store))
    with translation.override("en"), pytest.raises(Conflict) as refused:
        case_transition(case=case, transition=transition, actor=supervisor, data=data)

    assert str(refused.value.message) == (
        f"“{LABELS[transition]}” is not possible while the case is {STATE_LABELS[state]}."
    )
    assert Case.objects.get(pk=case.pk).state == state
    assert case.events.count() == 0
