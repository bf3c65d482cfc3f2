"""The handler's desk shows urgency: the case list is open cases by due time (overdue first), the
case page starts with a header of risk, state, assignee and each clock's time left, settled cases
are read-only, history is the timeline, and people are assigned by name and role."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "admin:cases_case_changelist"


def numbers_in(page: str, cases) -> list[str]:
    return sorted((c.number for c in cases if c.number in page), key=page.index)


def test_the_case_list_is_open_cases_by_due_time_overdue_first(
    client, supervisor, open_case, transition
):
    now = timezone.now()
    later = open_case(received_at=now - timedelta(minutes=5))
    overdue = open_case(received_at=now - timedelta(hours=2))
    soon = open_case(received_at=now - timedelta(minutes=50))
    closed = open_case(received_at=now - timedelta(hours=3))
    for step, data in (
        ("respond", {"note": "已致电顾客"}),
        ("resolve", {"resolution": "已退款"}),
        ("close", {"close_reason": "customer_confirmed", "note": "顾客认可"}),
    ):
        closed = transition(closed, step, **data)
    client.force_login(supervisor)

    page = client.get(reverse(LIST)).content.decode()
    everything = client.get(reverse(LIST) + "?status=all").content.decode()

    assert numbers_in(page, [later, overdue, soon, closed]) == [
        overdue.number, soon.number, later.number,
    ]  # fmt: skip
    assert closed.number in everything


def test_the_case_page_starts_with_risk_state_assignee_and_time_left(client, supervisor, open_case):
    case = open_case(
        description="孩子吃了你们的酸奶拉肚子，去了医院",
        received_at=timezone.now() - timedelta(minutes=50),
    )
    client.force_login(supervisor)

    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    header = page[page.index('id="case-header"') :][:3000]

    assert "#d32f2f" in header  # red
    assert "首次响应" in header and "剩余" in header
    assert "未分配" in header
    assert "respond" in header  # the next action is a button in the header


def test_a_settled_case_is_read_only_and_its_history_is_the_timeline(
    client, supervisor, open_case, transition
):
    case = open_case()
    case = transition(case, "reject", reason="重复提交")
    client.force_login(supervisor)
    url = reverse("admin:cases_case_change", args=[case.pk])

    page = client.get(url).content.decode()
    refused = client.post(url, {"title": "改标题"})
    history = client.get(reverse("admin:cases_case_history", args=[case.pk]))

    assert 'name="_save"' not in page
    assert refused.status_code == 403
    assert history.status_code == 302 and history["Location"].endswith("#case-timeline")


def test_people_are_assigned_by_name_and_role_not_bare_usernames(client, supervisor, open_case):
    UserFactory(username="wangmin", first_name="敏", last_name="王", roles=["handler"])
    UserFactory(username="root", is_superuser=True, is_staff=True)
    case = open_case()
    client.force_login(supervisor)

    page = client.get(reverse("admin:cases_case_assign", args=[case.pk])).content.decode()

    assert "(wangmin) — 客诉专员" in page
    assert ">root" not in page
