"""Clocks follow the case: created at intake, stopped, restarted, cancelled and re-timed by the
facts `cases` announces (the receivers in escalation/receivers/sla.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from cases import services as case_services
from escalation.models import ClockCrossing, RedAlert, SlaClock
from escalation.selectors import case_sla_api_extra
from escalation.services import sla_sweep
from tests.escalation.conftest import outbox

pytestmark = pytest.mark.django_db


def clocks(case) -> dict[str, SlaClock]:
    """The latest clock of each kind."""
    return {c.kind: c for c in SlaClock.objects.filter(case=case).order_by("started_at", "id")}


def test_a_new_case_gets_a_first_response_and_a_close_clock_measured_from_received_at(open_case):
    now = timezone.now()
    received = now - timedelta(minutes=50)

    case = open_case(received_at=received, now=now)

    found = clocks(case)
    assert (found["first_response"].due_at, found["close"].due_at) == (
        received + timedelta(hours=1),
        received + timedelta(hours=24),
    )
    assert {c.state for c in found.values()} == {"running"}


def test_a_complaint_received_by_phone_50_minutes_ago_has_10_minutes_left(open_case):
    case = open_case(received_at=timezone.now() - timedelta(minutes=50))

    sla = case_sla_api_extra([case])[case.pk]["sla"]

    first_response = next(c for c in sla if c["kind"] == "first_response")
    assert 595 <= first_response["remaining_seconds"] <= 600


def test_responding_meets_the_first_response_clock_on_time(open_case, transition):
    case = open_case()

    transition(case, "respond", note="已致电顾客")

    clock = clocks(case)["first_response"]
    assert (clock.state, clock.late_seconds, clock.next_check_at) == ("met", None, None)


def test_a_breached_clock_met_later_records_by_how_much_it_was_late(open_case, transition):
    now = timezone.now()
    case = open_case(received_at=now - timedelta(hours=1, minutes=20), now=now)
    sla_sweep(now=now)

    transition(case, "respond", note="已致电顾客", now=now + timedelta(minutes=5))

    clock = clocks(case)["first_response"]
    assert (clock.state, clock.late_seconds) == ("met", 25 * 60)
    assert ClockCrossing.objects.filter(clock=clock, threshold="breach").exists()


def test_closing_meets_the_close_clock_and_reopening_starts_a_new_one(open_case, transition):
    now = timezone.now()
    case = open_case(now=now)
    transition(case, "respond", note="已致电", now=now + timedelta(minutes=10))
    transition(case, "resolve", resolution="退款", now=now + timedelta(hours=2))
    transition(case, "close", close_reason="customer_confirmed", now=now + timedelta(hours=3))
    reopened = now + timedelta(hours=5)

    transition(case, "reopen", reason="顾客不满意", now=reopened)

    close_clocks = list(SlaClock.objects.filter(case=case, kind="close").order_by("id"))
    assert [(c.state, c.started_at) for c in close_clocks] == [
        ("met", case.received_at),
        ("running", reopened),
    ]
    assert close_clocks[1].due_at == reopened + timedelta(hours=24)


@pytest.mark.parametrize(
    ("name", "data"),
    [("reject", {"reason": "重复投诉"}), ("merge", {"into": "TARGET"})],
)
def test_merging_or_rejecting_cancels_the_clocks(open_case, transition, name, data):
    case = open_case()
    target = open_case()
    data = {k: (target.number if v == "TARGET" else v) for k, v in data.items()}

    transition(case, name, **data)

    assert {c.state for c in clocks(case).values()} == {"cancelled"}
    assert SlaClock.objects.filter(case=case, next_check_at__isnull=False).count() == 0


def test_raising_the_risk_re_times_running_clocks_under_the_stricter_policy(
    open_case, set_risk, red_policy_tightened
):
    case = open_case()

    set_risk(case, "red")

    found = clocks(case)
    assert found["first_response"].due_at == case.received_at + timedelta(minutes=20)
    assert found["first_response"].timed_for_risk == "red"
    assert [s["level"] for s in found["first_response"].ladder] == [1, 2, 3]


def test_raising_the_risk_never_makes_a_clock_later(open_case, set_risk, db):
    from escalation.models import SlaPolicy

    SlaPolicy.objects.filter(risk_level="red", category="", channel="").update(
        first_response_target=timedelta(hours=3)
    )
    case = open_case()

    set_risk(case, "red")

    assert clocks(case)["first_response"].due_at == case.received_at + timedelta(hours=1)


def test_lowering_the_risk_leaves_the_clocks_as_they_are(open_case, set_risk, red_policy_tightened):
    case = open_case()
    set_risk(case, "red")
    before = clocks(case)["first_response"].due_at

    set_risk(case, "blue")

    assert clocks(case)["first_response"].due_at == before


def test_clocks_created_after_triage_raised_the_risk_are_timed_for_the_current_level(
    handler, intake, supervisor, django_capture_on_commit_callbacks, red_policy_tightened
):
    # The intake's after-commit receivers have not run yet when the risk is raised.
    with django_capture_on_commit_callbacks(execute=False) as intake_callbacks:
        case, _ = case_services.case_create(intake=intake(), actor=handler)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_set_risk(case=case, level="red", reason="媒体", actor=supervisor)
    assert not SlaClock.objects.filter(case=case).exists()

    for callback in intake_callbacks:
        callback()

    clock = clocks(case)["first_response"]
    assert (clock.timed_for_risk, clock.due_at) == (
        "red",
        case.received_at + timedelta(minutes=20),
    )


def test_a_case_received_red_alerts_the_red_audience_at_once(open_case, set_risk, webhook_route):
    case = open_case()

    set_risk(case, "red")

    assert {n.alert_key for n in outbox(kind="case_red")} == {f"case_red:{case.pk}"}
    assert f"channel:{webhook_route.pk}" in RedAlert.objects.get(case=case).notified


def test_a_case_that_turns_red_again_is_not_alerted_twice(open_case, set_risk, webhook_route):
    case = open_case()
    set_risk(case, "red")
    set_risk(case, "yellow")

    set_risk(case, "red")

    assert len(outbox(kind="case_red", target_key=f"channel:{webhook_route.pk}")) == 1


def test_a_blue_case_sends_no_red_alert(open_case, webhook_route):
    open_case()

    assert outbox(kind="case_red") == []


def test_reopening_a_resolved_case_starts_a_new_close_clock_from_the_reopening(
    open_case, transition
):
    now = timezone.now()
    case = open_case(now=now)
    transition(case, "respond", note="已致电", now=now + timedelta(minutes=10))
    transition(case, "resolve", resolution="退款", now=now + timedelta(hours=2))
    reopened = now + timedelta(hours=5)

    transition(case, "reopen", reason="顾客不满意", now=reopened)

    close_clocks = list(SlaClock.objects.filter(case=case, kind="close").order_by("id"))
    assert [(c.state, c.started_at, c.stopped_at) for c in close_clocks] == [
        ("cancelled", case.received_at, reopened),
        ("running", reopened, None),
    ]
    assert close_clocks[1].due_at == reopened + timedelta(hours=24)


def test_a_failed_transition_receiver_hands_over_to_a_task_that_does_the_work(
    open_case, transition, monkeypatch
):
    from escalation import services, tasks

    enqueued = []
    monkeypatch.setattr(tasks.sla_case_transition_sync, "delay", lambda *a: enqueued.append(a))
    original = services.sla_case_transitioned
    monkeypatch.setattr(services, "sla_case_transitioned", _raises)
    now = timezone.now()
    case = open_case(now=now)
    responded = now + timedelta(minutes=10)
    transition(case, "respond", note="已致电", now=responded)
    monkeypatch.setattr(services, "sla_case_transitioned", original)

    tasks.sla_case_transition_sync.apply(args=enqueued[0])

    assert enqueued == [(case.pk, "respond", responded.isoformat())]
    assert (clocks(case)["first_response"].state, clocks(case)["close"].state) == (
        "met",
        "running",
    )


def _raises(**kwargs):
    raise RuntimeError("database hiccup")


def test_a_calendar_policy_that_cannot_time_a_clock_falls_back_to_24x7(open_case, db):
    from escalation.models import BusinessCalendar, SlaPolicy

    SlaPolicy.objects.filter(category="", channel="").update(
        calendar=BusinessCalendar.objects.get(), close_target=timedelta(days=400)
    )
    now = timezone.now()

    case = open_case(now=now)

    found = clocks(case)
    assert set(found) == {"first_response", "close"}
    assert found["close"].due_at == case.received_at + timedelta(days=400)


def test_a_clock_reads_as_its_case_number_kind_and_state(open_case):
    case = open_case()

    with translation.override("en"):
        text = str(clocks(case)["first_response"])

    assert text == f"{case.number} First response Running"
