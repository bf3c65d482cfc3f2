"""SLA in the admin: the coloured time-left column, the SLA filters, clocks and escalations on
the case page, and acknowledging an escalation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.models import Escalation
from escalation.services import sla_sweep

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/cases/case/"


@pytest.fixture
def cases(open_case):
    now = timezone.now()
    breached = open_case(received_at=now - timedelta(hours=2), now=now, title="逾期案件")
    due_soon = open_case(received_at=now - timedelta(minutes=50), now=now, title="即将到期")
    fresh = open_case(now=now, title="新案件")
    sla_sweep(now=now)
    return {"breached": breached, "due_soon": due_soon, "fresh": fresh}


def listed(response) -> set[str]:
    return {c.number for c in response.context["cl"].result_list}


def test_the_case_list_shows_time_left_and_overdue_in_colour(client, supervisor, cases):
    client.force_login(supervisor)

    html = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "overdue by 1:" in html
    assert "#d32f2f" in html  # overdue
    assert "#ef6c00" in html  # due within 15 minutes


@pytest.mark.parametrize(
    ("value", "expected"),
    [("breached", {"breached"}), ("due_soon", {"due_soon"}), ("escalated", {"breached"})],
)
def test_the_case_list_filters_on_sla(client, supervisor, cases, value, expected):
    client.force_login(supervisor)

    response = client.get(CHANGELIST, {"sla": value})

    assert listed(response) == {cases[name].number for name in expected}


def test_the_case_page_shows_its_clocks_and_escalations(client, supervisor, cases):
    client.force_login(supervisor)
    case = cases["breached"]

    response = client.get(reverse("admin:cases_case_change", args=[case.pk]))

    formsets = {f.opts.model._meta.model_name: f for f in response.context["inline_admin_formsets"]}
    assert len(formsets["slaclock"].formset.queryset) == 2
    assert sorted(e.level for e in formsets["escalation"].formset.queryset) == [1, 2]


def test_a_supervisor_acknowledges_escalations_with_the_admin_action(client, supervisor, cases):
    client.force_login(supervisor)
    escalation = Escalation.objects.get(case=cases["breached"], level=2)

    client.post(
        "/admin/escalation/escalation/",
        {"action": "acknowledge", "_selected_action": [escalation.pk]},
    )

    escalation.refresh_from_db()
    assert escalation.acknowledged_by == supervisor


def test_a_handler_is_not_offered_the_acknowledge_action(client, handler, cases):
    client.force_login(handler)
    escalation = Escalation.objects.get(case=cases["breached"], level=2)

    client.post(
        "/admin/escalation/escalation/",
        {"action": "acknowledge", "_selected_action": [escalation.pk]},
    )

    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


def test_a_policy_with_a_zero_target_is_refused_with_a_form_error(client, supervisor):
    client.force_login(supervisor)

    response = client.post(
        "/admin/escalation/slapolicy/add/",
        {
            "name": "broken", "risk_level": "yellow", "category": "food_safety", "channel": "",
            "first_response_target": "00:00:00", "close_target": "1 00:00:00",
            "warning_percent": "75", "is_active": "on",
            "ladder_steps-TOTAL_FORMS": "0", "ladder_steps-INITIAL_FORMS": "0",
        },
    )  # fmt: skip

    assert response.status_code == 200
    assert "first_response_target" in response.context["adminform"].form.errors
