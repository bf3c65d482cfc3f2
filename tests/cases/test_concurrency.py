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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_merging_two_cases_into_each_other_at_once_merges_one(supervisor, store):
    first, second = CaseFactory(store=store), CaseFactory(store=store)
    outcomes = _race_pairs([
        (first.pk, "merge", supervisor, {"into": second.number}),
        (second.pk, "merge", supervisor, {"into": first.number}),
    ])  # fmt: skip

    assert sorted(outcomes) == ["refused", "won"]
    states = sorted(
        Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)
    )
    assert states == [State.MERGED, State.NEW]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_case_cannot_be_merged_into_one_that_is_being_merged_away(supervisor, store):
    a, b, c = (CaseFactory(store=store) for _ in range(3))
    outcomes = _race_pairs([
        (a.pk, "merge", supervisor, {"into": b.number}),
        (b.pk, "merge", supervisor, {"into": c.number}),
    ])  # fmt: skip

    assert "won" in outcomes
    merged = dict(Case.objects.filter(state=State.MERGED).values_list("pk", "merged_into"))
    # never a chain, whichever ran first: every merged case points at a case not merged itself
    assert merged
    assert set(merged.values()).isdisjoint(merged)


def _race_pairs(attempts):
    """Like _race, but each attempt names its own case; a refusal is a 409 or a field error."""
    from core.exceptions import InvalidInput

    barrier = threading.Barrier(len(attempts))
    outcomes = [None] * len(attempts)

    def run(index, case_id, transition, actor, data):
        try:
            case = Case.objects.get(pk=case_id)
            barrier.wait(timeout=10)
            case_transition(case=case, transition=transition, actor=actor, data=data)
            outcomes[index] = "won"
        except (Conflict, InvalidInput):
            outcomes[index] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes
