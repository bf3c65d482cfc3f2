"""The sweep: thresholds crossed once, alerts handed to notifications once, the ladder, acks."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, NotPermitted
from escalation.models import ClockCrossing, Escalation, RedAlert, SlaClock
from escalation.selectors import case_sla_api_extra, sweeper_last_run
from escalation.services import escalation_acknowledge, sla_clock_process, sla_sweep
from tests.escalation.conftest import outbox

pytestmark = pytest.mark.django_db


def keys(**filters) -> list[str]:
    return [n.alert_key for n in outbox(**filters)]


def first_response(case) -> SlaClock:
    return SlaClock.objects.get(case=case, kind="first_response")


def test_the_warning_comes_at_75_percent_of_the_window(open_case, webhook_route):
    now = timezone.now()
    case = open_case(now=now)
    clock = first_response(case)

    sla_sweep(now=now + timedelta(minutes=44))
    before = keys()
    sla_sweep(now=now + timedelta(minutes=45))

    assert before == []
    assert keys() == [f"sla:{clock.pk}:warning"]
    assert outbox()[0].kind == "sla_warning"


def test_the_breach_alert_is_sent_once_when_swept_twice(open_case, webhook_route):
    now = timezone.now()
    case = open_case(now=now)
    clock = first_response(case)
    sla_sweep(now=now + timedelta(minutes=45))

    sla_sweep(now=now + timedelta(hours=1))
    sla_sweep(now=now + timedelta(hours=1, seconds=1))
    sla_clock_process(clock_id=clock.pk, now=now + timedelta(hours=1, seconds=2))

    assert keys(kind="sla_breach") == [f"sla:{clock.pk}:breach"]
    assert keys(kind="sla_warning") == [f"sla:{clock.pk}:warning"]
    assert first_response(case).state == "breached"


def test_the_breach_alert_carries_ladder_level_one_and_its_audience(open_case, webhook_route):
    now = timezone.now()
    case = open_case(now=now)

    sla_sweep(now=now + timedelta(hours=1))

    breach = outbox(kind="sla_breach")[0].alert
    assert (breach["escalation_level"], breach["extra"]["audience"]) == (1, ["supervisor"])
    assert breach["case_number"] == case.number
    level_1 = Escalation.objects.get(case=case, level=1)
    assert level_1.notified == [f"channel:{webhook_route.pk}"]


def test_a_backdated_complaint_fires_its_passed_thresholds_at_once_without_the_moot_warning(
    open_case, webhook_route
):
    now = timezone.now()
    case = open_case(received_at=now - timedelta(hours=2), now=now)
    clock = first_response(case)

    sla_sweep(now=now)

    assert keys() == [f"sla:{clock.pk}:breach", f"sla:{clock.pk}:level_2"]
    crossed = dict(ClockCrossing.objects.filter(clock=clock).values_list("threshold", "alerted"))
    assert crossed == {"warning": False, "breach": True, "level_1": False, "level_2": True}


def test_responding_before_the_deadline_means_no_breach_alert(open_case, transition, webhook_route):
    now = timezone.now()
    case = open_case(now=now)
    transition(case, "respond", note="已致电", now=now + timedelta(minutes=50))

    sla_sweep(now=now + timedelta(hours=2))

    assert keys(kind="sla_breach") == []


def test_level_two_reaches_managers_30_minutes_after_the_response_breach(open_case, webhook_route):
    now = timezone.now()
    case = open_case(now=now)
    sla_sweep(now=now + timedelta(hours=1))

    sla_sweep(now=now + timedelta(hours=1, minutes=30))

    level_2 = Escalation.objects.get(case=case, level=2)
    assert (level_2.clock.kind, level_2.audience) == ("first_response", ["manager"])
    assert outbox(kind="escalation")[0].alert["escalation_level"] == 2
    assert case_sla_api_extra([case])[case.pk]["escalation_level"] == 2


def test_a_red_case_reaches_level_three_an_hour_after_the_breach(
    open_case, set_risk, webhook_route
):
    now = timezone.now()
    case = open_case(now=now)
    set_risk(case, "red", now=now)

    sla_sweep(now=now + timedelta(hours=2))

    level_3 = Escalation.objects.get(case=case, clock__kind="first_response", level=3)
    assert level_3.audience == ["manager", "legal_pr"]


def test_acknowledging_stops_further_levels_for_that_clock(open_case, supervisor, webhook_route):
    now = timezone.now()
    case = open_case(now=now)
    sla_sweep(now=now + timedelta(hours=1))
    escalation = Escalation.objects.get(case=case, level=1)

    escalation_acknowledge(escalation=escalation, actor=supervisor, note="我来处理", now=now)
    sla_sweep(now=now + timedelta(hours=3))

    assert list(Escalation.objects.filter(case=case).values_list("level", flat=True)) == [1]
    escalation.refresh_from_db()
    assert (escalation.acknowledged_by, escalation.acknowledge_note) == (supervisor, "我来处理")


def test_after_an_acknowledgement_the_close_clock_still_escalates(
    open_case, supervisor, webhook_route
):
    now = timezone.now()
    case = open_case(now=now)
    sla_sweep(now=now + timedelta(hours=1))
    escalation_acknowledge(
        escalation=Escalation.objects.get(case=case, level=1), actor=supervisor, now=now
    )

    sla_sweep(now=now + timedelta(hours=24))

    assert list(
        Escalation.objects.filter(case=case, clock__kind="close").values_list("level", flat=True)
    ) == [1]


def test_a_handler_may_not_acknowledge(open_case, handler, webhook_route):
    now = timezone.now()
    case = open_case(now=now)
    sla_sweep(now=now + timedelta(hours=1))

    with pytest.raises(NotPermitted):
        escalation_acknowledge(escalation=Escalation.objects.get(case=case), actor=handler)


def test_an_escalation_is_acknowledged_only_once(open_case, supervisor, manager, webhook_route):
    now = timezone.now()
    case = open_case(now=now)
    sla_sweep(now=now + timedelta(hours=1))
    escalation = Escalation.objects.get(case=case)
    escalation_acknowledge(escalation=escalation, actor=supervisor)

    with pytest.raises(Conflict):
        escalation_acknowledge(escalation=escalation, actor=manager)


def test_a_sweep_with_nothing_due_touches_no_clock_and_records_its_run(open_case):
    now = timezone.now()
    open_case(now=now)

    with time_machine.travel(now + timedelta(seconds=5), tick=False):
        processed = sla_sweep(now=now + timedelta(minutes=1))

    assert processed == 0
    assert sweeper_last_run().last_run_at == now + timedelta(seconds=5)


def test_a_sweep_works_through_more_clocks_than_one_batch(open_case, webhook_route):
    now = timezone.now()
    cases = [open_case(now=now) for _ in range(5)]

    sla_sweep(now=now + timedelta(hours=1), batch_size=2)

    assert len(keys(kind="sla_breach")) == len(cases)


# --- who hears of it: the ladder's audience by role, with no route at all ------------------------


def targets(**filters) -> set[str]:
    return {n.target_key for n in outbox(**filters)}


def user_keys(*users) -> list[str]:
    return sorted(f"user:{user.pk}" for user in users)


def test_with_no_route_the_breach_reaches_supervisors_and_level_two_reaches_managers(
    open_case, people
):
    now = timezone.now()
    case = open_case(now=now)

    sla_sweep(now=now + timedelta(hours=1))
    sla_sweep(now=now + timedelta(hours=1, minutes=30))

    assert targets(kind="sla_breach") == set(user_keys(people["supervisor"]))
    assert targets(kind="escalation") == set(user_keys(people["manager"]))
    notified = dict(Escalation.objects.filter(case=case).values_list("level", "notified"))
    assert notified == {1: user_keys(people["supervisor"]), 2: user_keys(people["manager"])}


def test_with_no_route_the_warning_reaches_the_supervisors(open_case, people):
    now = timezone.now()
    open_case(now=now)

    sla_sweep(now=now + timedelta(minutes=45))

    assert targets(kind="sla_warning") == set(user_keys(people["supervisor"]))
    assert {n.recipient for n in outbox(kind="sla_warning")} == {"supervisor@desk.example"}


def test_with_no_route_a_red_case_alerts_supervisors_managers_and_legal_pr(
    open_case, set_risk, people
):
    case = open_case()

    set_risk(case, "red")

    expected = user_keys(people["supervisor"], people["manager"], people["legal_pr"])
    # the acting supervisor fixture has no email address: its row fails and it is not recorded
    assert RedAlert.objects.get(case=case).notified == expected
    assert targets(kind="case_red", status="pending") == set(expected)


def test_level_three_of_a_red_case_reaches_managers_and_legal_pr_by_role(
    open_case, set_risk, people
):
    now = timezone.now()
    case = open_case(now=now)
    set_risk(case, "red", now=now)

    sla_sweep(now=now + timedelta(hours=2))

    level_3 = Escalation.objects.get(case=case, clock__kind="first_response", level=3)
    assert level_3.notified == user_keys(people["manager"], people["legal_pr"])


# --- the case wins over a clock its receiver failed to stop --------------------------------------


@pytest.fixture
def receiver_fails_once(monkeypatch):
    """Make one SLA service raise on its next call, and lose the task hand-over too, so only the
    sweeper stands between a finished case and a wrong alert."""
    from escalation import services, tasks

    monkeypatch.setattr(tasks.sla_case_transition_sync, "delay", lambda *args: None)

    def arm(name):
        original = getattr(services, name)
        failures = iter([RuntimeError("database hiccup")])

        def flaky(**kwargs):
            error = next(failures, None)
            if error is not None:
                raise error
            return original(**kwargs)

        monkeypatch.setattr(services, name, flaky)

    return arm


def test_a_responded_case_gets_no_breach_even_if_its_clock_was_left_running(
    open_case, transition, receiver_fails_once, webhook_route
):
    now = timezone.now()
    case = open_case(now=now)
    receiver_fails_once("sla_clock_stop")
    transition(case, "respond", note="已致电", now=now + timedelta(minutes=10))
    assert first_response(case).state == "running"  # the receiver did fail

    sla_sweep(now=now + timedelta(hours=2))

    assert keys() == []
    clock = first_response(case)
    assert (clock.state, clock.stopped_at, clock.next_check_at) == (
        "met",
        now + timedelta(minutes=10),
        None,
    )
    assert not Escalation.objects.filter(case=case).exists()


def test_a_closed_case_gets_no_close_breach_even_if_its_clock_was_left_running(
    open_case, transition, receiver_fails_once, webhook_route
):
    now = timezone.now()
    case = open_case(now=now)
    transition(case, "respond", note="已致电", now=now + timedelta(minutes=10))
    transition(case, "resolve", resolution="退款", now=now + timedelta(hours=1))
    receiver_fails_once("sla_clock_stop")
    transition(case, "close", close_reason="customer_confirmed", now=now + timedelta(hours=2))

    sla_sweep(now=now + timedelta(hours=30))

    close = SlaClock.objects.get(case=case, kind="close")
    assert (close.state, close.stopped_at) == ("met", now + timedelta(hours=2))
    assert keys(kind="sla_breach") == []


def test_a_rejected_case_gets_no_breach_even_if_its_clocks_were_left_running(
    open_case, transition, receiver_fails_once, webhook_route
):
    now = timezone.now()
    case = open_case(now=now)
    receiver_fails_once("sla_clocks_cancel")
    transition(case, "reject", reason="重复投诉", now=now + timedelta(minutes=5))

    sla_sweep(now=now + timedelta(hours=2))
    sla_sweep(now=now + timedelta(hours=30))

    assert keys() == []
    assert set(SlaClock.objects.filter(case=case).values_list("state", flat=True)) == {"cancelled"}


# --- the ladder in order: a later level due first brings the earlier ones with it ---------------


def test_red_close_clock_reaches_level_three_an_hour_after_its_breach_with_level_two(
    open_case, set_risk, webhook_route
):
    now = timezone.now()
    case = open_case(now=now)
    set_risk(case, "red", now=now)
    sla_sweep(now=now + timedelta(hours=24))
    before = set(Escalation.objects.filter(case=case, clock__kind="close").values_list("level"))

    sla_sweep(now=now + timedelta(hours=25))
    sla_sweep(now=now + timedelta(hours=28))

    close_levels = Escalation.objects.filter(case=case, clock__kind="close")
    assert before == {(1,)}
    assert sorted(close_levels.values_list("level", flat=True)) == [1, 2, 3]
    close = SlaClock.objects.get(case=case, kind="close")
    assert sorted(keys(kind="escalation", alert_key__startswith=f"sla:{close.pk}:")) == [
        f"sla:{close.pk}:level_2",
        f"sla:{close.pk}:level_3",
    ]
    assert close.escalation_level == 3


# --- the sweep's own cost and record --------------------------------------------------------------


def test_the_sweep_reads_each_clock_with_its_case_in_one_query(open_case, webhook_route):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    for _ in range(3):
        open_case(now=now)

    with CaptureQueriesContext(connection) as queries:
        sla_sweep(now=now + timedelta(hours=1))

    assert len(keys(kind="sla_breach")) == 3
    case_reads = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().startswith("SELECT") and 'FROM "cases_case"' in q["sql"]
    ]
    assert case_reads == []


def test_on_postgresql_the_sweep_locks_only_the_clock_rows_and_skips_locked_ones(
    postgres_only, open_case, webhook_route
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    open_case(now=now)

    with CaptureQueriesContext(connection) as queries:
        sla_sweep(now=now + timedelta(hours=1))

    assert any('FOR UPDATE OF "escalation_slaclock" SKIP LOCKED' in q["sql"] for q in queries)


def test_the_heartbeat_records_the_real_time_whatever_now_the_sweep_was_given(open_case):
    real = timezone.now()

    with time_machine.travel(real, tick=False):
        sla_sweep(now=real + timedelta(hours=2))

    assert sweeper_last_run().last_run_at == real


def test_the_warning_and_breach_also_reach_the_cases_assignee(open_case):
    from cases.models import Case
    from notifications.models import Notification
    from tests.factories import UserFactory

    worker = UserFactory(username="zhang", email="zhang@example.com", roles=["handler"])
    UserFactory(username="boss", email="boss@example.com", roles=["supervisor"])
    now = timezone.now()
    case = open_case(now=now)
    Case.objects.filter(pk=case.pk).update(assignee=worker)

    sla_sweep(now=now + timedelta(minutes=45))
    sla_sweep(now=now + timedelta(hours=1))

    def recipients(kind):
        return sorted(Notification.objects.filter(kind=kind).values_list("recipient", flat=True))

    assert recipients("sla_warning") == ["boss@example.com", "zhang@example.com"]
    assert recipients("sla_breach") == ["boss@example.com", "zhang@example.com"]


def test_breaches_escalations_and_acknowledgements_appear_on_the_case_timeline(
    open_case, supervisor, settings
):
    settings.LANGUAGE_CODE = "en"
    now = timezone.now()
    case = open_case(now=now)
    sla_sweep(now=now + timedelta(hours=1))
    sla_sweep(now=now + timedelta(hours=1, seconds=1))  # swept twice: still one entry each
    escalation = Escalation.objects.get(case=case, level=1)
    escalation_acknowledge(
        escalation=escalation,
        actor=supervisor,
        note="我来处理",
        now=now + timedelta(hours=1, minutes=5),
    )

    events = list(case.events.filter(kind__in=["sla_breached", "escalated", "acknowledged"])
                  .values_list("kind", "note", "actor__username"))  # fmt: skip
    assert events == [
        ("sla_breached", "First response clock", None),
        ("escalated", "First response clock, level 1", None),
        ("acknowledged", "First response clock, level 1", "supervisor"),
    ]
