"""Two workers race on one case: exactly one transition wins, the other gets a conflict."""

import threading

import pytest
from django.db import connection, connections

from cases.models import Case, CaseEvent, State
from cases.services import case_transition
from core.exceptions import Conflict
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _race(case_id, attempts):
    barrier = threading.Barrier(len(attempts))
    outcomes = [None] * len(attempts)

    def run(index, transition, actor, data):
        try:
            case = Case.objects.get(pk=case_id)  # each thread reads the case before either writes
            barrier.wait(timeout=10)
            case_transition(case=case, transition=transition, actor=actor, data=data)
            outcomes[index] = "won"
        except Conflict:
            outcomes[index] = "conflict"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_concurrent_transitions_have_one_winner(handler, supervisor):
    # from `responded` either may run, but neither is possible after the other
    case = CaseFactory(state=State.RESPONDED)
    outcomes = _race(case.pk, [
        ("resolve", handler, {"resolution": "退款"}),
        ("reject", supervisor, {"reason": "无效投诉"}),
    ])  # fmt: skip

    assert sorted(outcomes) == ["conflict", "won"]
    final = Case.objects.get(pk=case.pk)
    events = CaseEvent.objects.filter(case=case, kind="transition")
    assert events.count() == 1
    assert final.state == events.get().to_state
    assert final.state in (State.RESOLVED, State.REJECTED)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_the_same_transition_twice_at_once_runs_once(handler, supervisor):
    case = CaseFactory()
    outcomes = _race(case.pk, [
        ("respond", handler, {"note": "A"}),
        ("respond", supervisor, {"note": "B"}),
    ])  # fmt: skip

    assert sorted(outcomes) == ["conflict", "won"]
    assert CaseEvent.objects.filter(case=case, kind="transition").count() == 1
