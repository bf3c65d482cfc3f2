"""Durable hand-offs: a case whose after-commit work never ran (the process died after the
commit, or the work failed while the broker was down) gets its clocks, triage and red alert from
the reconcile sweep, exactly once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import Case
from escalation import handoffs
from escalation.models import RedAlert, SlaClock
from escalation.tasks import handoff_reconcile as handoff_reconcile_task
from triage.models import TriageRun

pytestmark = pytest.mark.django_db

RED = "孩子吃了你们的酸奶拉肚子，去了医院"


@pytest.fixture
def committed_without_handoffs(handler, intake, django_capture_on_commit_callbacks):
    """The case commits; the process dies before its after-commit callbacks run."""

    def create(**overrides):
        with django_capture_on_commit_callbacks(execute=False):
            case, _created = case_services.case_create(intake=intake(**overrides), actor=handler)
        return case

    return create


def later(case, seconds=60):
    return Case.objects.get(pk=case.pk).created_at + timedelta(seconds=seconds)


def test_a_case_whose_process_died_after_the_commit_gets_clocks_triage_and_red_alert(
    committed_without_handoffs,
):
    case = committed_without_handoffs(description=RED)
    assert not SlaClock.objects.filter(case=case).exists()
    assert not TriageRun.objects.filter(case_id=case.pk).exists()

    done = handoffs.handoff_reconcile(now=later(case))

    case.refresh_from_db()
    assert case.risk_level == "red"
    assert set(SlaClock.objects.filter(case=case).values_list("kind", "timed_for_risk")) == {
        ("first_response", "red"),
        ("close", "red"),
    }
    assert TriageRun.objects.filter(case_id=case.pk, trigger="intake").count() == 1
    assert RedAlert.objects.filter(case=case).count() == 1
    assert (done["clocks"], done["triage"], done["red_alert"], done["failed"]) == (1, 1, 1, 0)


def test_a_second_sweep_finds_nothing_left_to_do(committed_without_handoffs):
    case = committed_without_handoffs(description=RED)
    handoffs.handoff_reconcile(now=later(case))

    done = handoffs.handoff_reconcile(now=later(case, 120))

    assert set(done.values()) == {0}
    assert SlaClock.objects.filter(case=case).count() == 2
    assert TriageRun.objects.filter(case_id=case.pk).count() == 1


def test_a_case_within_the_grace_period_is_left_to_its_receivers(committed_without_handoffs):
    case = committed_without_handoffs(description=RED)

    done = handoffs.handoff_reconcile(now=later(case, 5))

    assert set(done.values()) == {0}
    assert not SlaClock.objects.filter(case=case).exists()


def test_work_that_failed_while_the_broker_was_down_is_completed(
    handler, intake, django_capture_on_commit_callbacks
):
    broken = mock.patch("escalation.services.sla_clocks_ensure", side_effect=RuntimeError("db"))
    broker_down = mock.patch(
        "escalation.tasks.sla_case_sync.delay", side_effect=ConnectionError("redis")
    )
    triage_down = mock.patch(
        "escalation.triage_flow.case_triage", side_effect=RuntimeError("triage")
    )
    triage_task_down = mock.patch(
        "escalation.triage_flow.case_triage_task.delay", side_effect=ConnectionError("redis")
    )
    with broken, broker_down, triage_down, triage_task_down:
        with django_capture_on_commit_callbacks(execute=True):
            case, _ = case_services.case_create(intake=intake(description=RED), actor=handler)
    assert not SlaClock.objects.filter(case=case).exists()

    handoffs.handoff_reconcile(now=later(case))

    case.refresh_from_db()
    assert case.risk_level == "red"
    assert SlaClock.objects.filter(case=case, timed_for_risk="red").count() == 2
    assert RedAlert.objects.filter(case=case).exists()


def test_clocks_timed_for_a_lower_level_than_the_case_has_are_retimed(
    committed_without_handoffs, supervisor
):
    case = committed_without_handoffs(description="面包有点干")
    handoffs.handoff_reconcile(now=later(case))
    # A raise whose receivers never ran.
    Case.objects.filter(pk=case.pk).update(risk_level="red")

    done = handoffs.handoff_reconcile(now=later(case, 90))

    assert done["retimed"] == 1 and done["red_alert"] == 1
    assert set(SlaClock.objects.filter(case=case).values_list("timed_for_risk", flat=True)) == {
        "red"
    }


def test_cases_older_than_the_lookback_are_not_looked_at(committed_without_handoffs, settings):
    case = committed_without_handoffs(description=RED)

    done = handoffs.handoff_reconcile(now=later(case, settings.HANDOFF_LOOKBACK_DAYS * 86400 + 60))

    assert set(done.values()) == {0}


def test_beat_runs_the_sweep_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["escalation-handoff-reconcile"]

    assert entry["task"] == handoff_reconcile_task.name
    assert entry["schedule"] == 60
    assert handoff_reconcile_task() == {
        "clocks": 0, "triage": 0, "retimed": 0, "red_alert": 0, "failed": 0
    }  # fmt: skip


def test_a_case_that_keeps_failing_does_not_stop_the_others(committed_without_handoffs):
    first = committed_without_handoffs(description=RED)
    second = committed_without_handoffs(description=RED)
    real = handoffs.services.sla_clocks_ensure

    def fail_for_first(*, case_id, now=None):
        if case_id == first.pk:
            raise RuntimeError("stuck")
        return real(case_id=case_id, now=now)

    with mock.patch("escalation.services.sla_clocks_ensure", side_effect=fail_for_first):
        done = handoffs.handoff_reconcile(now=timezone.now() + timedelta(minutes=2))

    assert done["failed"] == 1
    assert SlaClock.objects.filter(case=second).count() == 2
