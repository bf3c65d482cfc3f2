"""The sweep: thresholds crossed once, alerts handed to notifications once, the ladder, acks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import Conflict, NotPermitted
from escalation.models import ClockCrossing, Escalation, SlaClock
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

    processed = sla_sweep(now=now + timedelta(minutes=1))

    assert processed == 0
    assert sweeper_last_run().last_run_at == now + timedelta(minutes=1)


def test_a_sweep_works_through_more_clocks_than_one_batch(open_case, webhook_route):
    now = timezone.now()
    cases = [open_case(now=now) for _ in range(5)]

    sla_sweep(now=now + timedelta(hours=1), batch_size=2)

    assert len(keys(kind="sla_breach")) == len(cases)
