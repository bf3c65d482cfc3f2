"""The demo data starts calm: history is settled without breaches, a few red cases are live, and
the newest cases are due within the hour so a newcomer sees a warning arrive."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.models import OPEN_STATES, Case
from escalation.models import ClockCrossing, Escalation, RedAlert, SlaClock
from escalation.services import sla_sweep

pytestmark = pytest.mark.django_db


def test_the_demo_starts_with_a_handful_of_alerts_and_no_breach(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--password", "demo12345", stdout=StringIO())

    sla_sweep(now=timezone.now())

    assert Case.objects.count() >= 45
    assert RedAlert.objects.count() == 3
    assert not Escalation.objects.exists()
    assert not ClockCrossing.objects.filter(threshold="breach").exists()
    settled = Case.objects.exclude(state__in=OPEN_STATES)
    assert not SlaClock.objects.filter(case__in=settled, state="running").exists()
    due_soon = SlaClock.objects.filter(
        kind="first_response",
        state="running",
        due_at__lte=timezone.now() + timedelta(hours=1),
    )
    assert due_soon.exists()
