"""How a recorded triage run reads in the admin and wherever it is named: the case number, the
outcome's label and the time in the site's time zone (end-to-end QA, item 3)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from triage.engine import TriageResult
from triage.models import Level, Outcome, TriageRun
from triage.services import triage_run_record

pytestmark = pytest.mark.django_db

RECORDED_AT = datetime(2026, 11, 30, 1, 14, tzinfo=UTC)  # 09:14 in Shanghai


def record(**overrides) -> TriageRun:
    fields = {
        "case_id": 53,
        "case_number": "20261130-0007",
        "trigger": "intake",
        "result": TriageResult(
            level="red", score=60.0, reasons=[], rule_level="red", ruleset_version=3
        ),
        "outcome": Outcome.APPLIED,
        "duration_ms": 1.5,
        "now": RECORDED_AT,
    }
    fields.update(overrides)
    return triage_run_record(**fields)


def test_a_run_is_named_by_its_case_number_level_label_and_local_time():
    run = record()

    with timezone.override(ZoneInfo("Asia/Shanghai")), translation.override("en"):
        assert str(run) == "Case 20261130-0007: Red (2026-11-30 09:14)"


def test_a_runs_name_follows_the_readers_language():
    run = record()

    with timezone.override(ZoneInfo("Asia/Shanghai")), translation.override("zh-hans"):
        name = str(run)
    assert (str(Level.RED.label) in name, "red" in name, "09:14" in name) == (True, False, True)


def test_a_run_recorded_before_case_numbers_were_kept_is_named_by_the_case_id():
    run = record(case_number="")

    with translation.override("en"):
        assert str(run).startswith("Case id 53: ")


def test_the_run_list_shows_the_case_number_and_the_outcomes_label(client, handler):
    record()
    client.force_login(handler)

    response = client.get(reverse("admin:triage_triagerun_changelist"), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert ("20261130-0007" in html, ">Applied<" in html, ">applied<" in html) == (
        True,
        True,
        False,
    )


def test_a_runs_page_shows_the_case_number_and_the_outcomes_label(client, handler):
    run = record()
    client.force_login(handler)

    response = client.get(
        reverse("admin:triage_triagerun_change", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="readonly">20261130-0007</div>' in html
    assert '<div class="readonly">Applied</div>' in html
    assert '<div class="readonly">applied</div>' not in html


def test_runs_can_be_found_by_case_number(client, handler):
    record()
    record(case_id=54, case_number="20261130-0008")
    client.force_login(handler)

    response = client.get(reverse("admin:triage_triagerun_changelist"), {"q": "20261130-0008"})

    assert response.context["cl"].result_count == 1
