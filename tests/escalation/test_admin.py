"""SLA in the admin: the coloured time-left column, the SLA filters, clocks and escalations on
the case page, and acknowledging an escalation."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from core.exceptions import NotPermitted
from escalation.models import BusinessCalendar, Escalation, SlaPolicy
from escalation.services import escalation_acknowledge, sla_sweep
from tests.factories import UserFactory

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


def policy_form(**overrides) -> dict:
    data = {
        "name": "policy", "risk_level": "yellow", "category": "food_safety", "channel": "",
        "first_response_target": "01:00:00", "close_target": "1 00:00:00",
        "warning_percent": "75", "calendar": "", "is_active": "on",
        "ladder_steps-TOTAL_FORMS": "0", "ladder_steps-INITIAL_FORMS": "0",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_a_second_active_policy_for_the_same_scope_is_refused_with_a_readable_error(
    client, supervisor, settings
):
    settings.LANGUAGE_CODE = "en"
    client.force_login(supervisor)

    response = client.post(
        "/admin/escalation/slapolicy/add/", policy_form(risk_level="red", category="")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        "There is already an active policy for this risk level, category and channel. "
        "Deactivate it first, or narrow this one to another category or channel."
    ]


def test_a_calendar_policy_whose_target_has_no_deadline_in_the_calendar_is_refused(
    client, supervisor, settings
):
    settings.LANGUAGE_CODE = "en"
    client.force_login(supervisor)
    calendar = BusinessCalendar.objects.get()

    response = client.post(
        "/admin/escalation/slapolicy/add/",
        policy_form(calendar=str(calendar.pk), close_target="1000 00:00:00"),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["close_target"]
    assert "does not fall within the next three years" in errors["close_target"][0]
    assert not SlaPolicy.objects.filter(name="policy").exists()


def test_a_ladder_offset_with_no_deadline_in_the_policy_calendar_is_refused(client, supervisor):
    client.force_login(supervisor)
    calendar = BusinessCalendar.objects.get()

    response = client.post(
        "/admin/escalation/slapolicy/add/",
        policy_form(
            calendar=str(calendar.pk),
            **{
                "ladder_steps-TOTAL_FORMS": "1", "ladder_steps-0-clock_kind": "close",
                "ladder_steps-0-level": "1", "ladder_steps-0-offset": "1000 00:00:00",
                "ladder_steps-0-audience": '["supervisor"]',
            },
        ),
    )  # fmt: skip

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert list(formset.errors[0]) == ["offset"]
    assert not SlaPolicy.objects.filter(name="policy").exists()


# --- store visibility ------------------------------------------------------------------------------


@pytest.fixture
def store_supervisor(store):
    """Someone who may acknowledge escalations but sees only the cases of their own store."""
    user = UserFactory(username="store-supervisor", roles=["store_staff"], stores=[store])
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_escalation", "view_slaclock", "acknowledge_escalation"]
        )
    )
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def two_stores_breached(open_case, other_store):
    now = timezone.now()
    mine = open_case(received_at=now - timedelta(hours=2), now=now)
    theirs = open_case(received_at=now - timedelta(hours=2), now=now, store=other_store)
    sla_sweep(now=now)
    return {"mine": mine, "theirs": theirs}


def test_the_escalation_list_shows_only_the_cases_the_user_may_see(
    client, store_supervisor, two_stores_breached
):
    client.force_login(store_supervisor)

    response = client.get("/admin/escalation/escalation/")

    listed_cases = {e.case_id for e in response.context["cl"].result_list}
    assert listed_cases == {two_stores_breached["mine"].pk}


def test_the_clock_list_shows_only_the_cases_the_user_may_see(
    client, store_supervisor, two_stores_breached
):
    client.force_login(store_supervisor)

    response = client.get("/admin/escalation/slaclock/")

    listed_cases = {c.case_id for c in response.context["cl"].result_list}
    assert listed_cases == {two_stores_breached["mine"].pk}


def test_an_escalation_of_another_store_cannot_be_acknowledged(
    store_supervisor, two_stores_breached
):
    theirs = Escalation.objects.filter(case=two_stores_breached["theirs"]).first()
    mine = Escalation.objects.filter(case=two_stores_breached["mine"]).first()

    with pytest.raises(NotPermitted):
        escalation_acknowledge(escalation=theirs, actor=store_supervisor)
    escalation_acknowledge(escalation=mine, actor=store_supervisor)

    mine.refresh_from_db()
    assert mine.acknowledged_by == store_supervisor


# --- what people read -------------------------------------------------------------------------------


def test_an_escalation_page_shows_role_labels_and_the_names_of_who_was_alerted(
    client, supervisor, open_case, people, settings
):
    settings.LANGUAGE_CODE = "en"
    now = timezone.now()
    case = open_case(received_at=now - timedelta(hours=2), now=now)
    sla_sweep(now=now)
    level_2 = Escalation.objects.get(case=case, level=2)
    client.force_login(supervisor)

    html = client.get(
        reverse("admin:escalation_escalation_change", args=[level_2.pk])
    ).content.decode()

    assert "Manager" in html
    assert "manager-1" in html
    assert "[&quot;manager&quot;]" not in html
    assert f"user:{people['manager'].pk}" not in html


def test_acknowledging_twice_names_the_case_and_level_in_the_warning(
    client, supervisor, manager, cases, settings
):
    settings.LANGUAGE_CODE = "en"
    escalation = Escalation.objects.get(case=cases["breached"], level=2)
    escalation_acknowledge(escalation=escalation, actor=manager)
    client.force_login(supervisor)

    response = client.post(
        "/admin/escalation/escalation/",
        {"action": "acknowledge", "_selected_action": [escalation.pk]},
        follow=True,
    )

    shown = [str(m) for m in response.context["messages"]]
    assert shown == [f"{cases['breached'].number} L2: This escalation was already acknowledged."]
