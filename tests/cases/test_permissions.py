"""The permission matrix per role, through the API and the admin."""

import pytest

from cases.models import Case, CaseEvent, State
from tests.cases.conftest import admin_post_data
from tests.factories import CaseFactory

ROLES = ["store_staff", "handler", "supervisor", "legal_pr", "manager"]

# operation -> roles allowed; everyone else gets 403
API_MATRIX = {
    "create": {"store_staff", "handler", "supervisor"},
    "respond": {"handler", "supervisor"},
    "resolve": {"handler", "supervisor"},
    "close": {"handler", "supervisor"},
    "reopen": {"supervisor"},
    "merge": {"supervisor"},
    "reject": {"supervisor"},
    "archive": {"supervisor"},
    "assign": {"supervisor"},
    "risk": {"handler", "supervisor"},
    "note": set(ROLES),
    "reveal": {"handler", "supervisor", "legal_pr"},
}
CASE_STATE = {"resolve": State.RESPONDED, "close": State.RESOLVED, "reopen": State.CLOSED,
              "archive": State.CLOSED}  # fmt: skip
TRANSITION_INPUT = {
    "respond": {"note": "x"}, "resolve": {"resolution": "x"},
    "close": {"close_reason": "customer_confirmed"}, "reopen": {"reason": "x"},
    "reject": {"reason": "x"}, "archive": {},
}  # fmt: skip


def _request(client, operation, case, merge_target):
    base = f"/api/v1/cases/{case.number}/"
    if operation == "create":
        return client.post("/api/v1/cases/", {
            "title": "t", "description": "d", "channel": "app", "category": "delivery",
            "store": case.store.code,
        }, format="json")  # fmt: skip
    if operation == "merge":
        return client.post(
            base + "transitions/merge/", {"into": merge_target.number}, format="json"
        )
    if operation in TRANSITION_INPUT:
        return client.post(base + f"transitions/{operation}/", TRANSITION_INPUT[operation],
                           format="json")  # fmt: skip
    if operation == "assign":
        return client.post(base + "assign/", {"assignee": "handler"}, format="json")
    if operation == "risk":
        return client.post(base + "risk/", {"risk_level": "red", "reason": "x"}, format="json")
    if operation == "note":
        return client.post(base + "notes/", {"text": "x"}, format="json")
    return client.post(base + "reveal/")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(API_MATRIX))
def test_api_permission_matrix(api, users, store, role, operation):
    case = CaseFactory(store=store, state=CASE_STATE.get(operation, State.NEW))
    merge_target = CaseFactory(store=store)
    answer = _request(api.as_user(users[role]), operation, case, merge_target)

    expected = {200, 201} if role in API_MATRIX[operation] else {403}
    assert answer.status_code in expected, answer.content


REFUSED = [
    (role, op) for op, allowed in API_MATRIX.items() for role in ROLES if role not in allowed
]


@pytest.mark.parametrize(("role", "operation"), REFUSED)
def test_a_refused_operation_writes_nothing(api, users, store, role, operation):
    case = CaseFactory(store=store, state=CASE_STATE.get(operation, State.NEW))
    merge_target = CaseFactory(store=store)
    before = (Case.objects.count(), CaseEvent.objects.count(), _snapshot(case))
    answer = _request(api.as_user(users[role]), operation, case, merge_target)

    assert answer.status_code == 403
    assert (Case.objects.count(), CaseEvent.objects.count(), _snapshot(case)) == before


def _snapshot(case):
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.state, fresh.assignee_id, fresh.risk_level, fresh.updated_at)


@pytest.mark.parametrize(
    ("role", "status"),
    [("store_staff", 302), ("handler", 200), ("supervisor", 200), ("legal_pr", 200),
     ("manager", 200)],
)  # fmt: skip
def test_admin_case_list_is_for_desk_roles_only(client, users, role, status):
    client.force_login(users[role])
    assert client.get("/admin/cases/case/").status_code == status


@pytest.mark.parametrize("role", ["handler", "supervisor", "legal_pr", "manager"])
def test_every_desk_role_can_open_a_case_page(client, users, store, role):
    case = CaseFactory(store=store)
    client.force_login(users[role])
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 200


ADMIN_TRANSITIONS = ["respond", "resolve", "close", "reopen", "merge", "reject", "archive"]


@pytest.mark.parametrize("role", ["handler", "supervisor", "legal_pr", "manager"])
@pytest.mark.parametrize("transition", ADMIN_TRANSITIONS)
def test_admin_transitions_follow_the_role(client, users, store, role, transition):
    case = CaseFactory(store=store, state=CASE_STATE.get(transition, State.NEW))
    target = CaseFactory(store=store)
    data = {**TRANSITION_INPUT.get(transition, {}), "into": target.number}
    client.force_login(users[role])
    client.post(f"/admin/cases/case/{case.pk}/transition/{transition}/", data)

    moved = Case.objects.get(pk=case.pk).state != case.state
    assert moved is (role in API_MATRIX[transition])


@pytest.mark.parametrize("role", ["handler", "supervisor", "legal_pr", "manager"])
def test_admin_assign_is_for_supervisors(client, users, store, role):
    case = CaseFactory(store=store)
    client.force_login(users[role])
    client.post(f"/admin/cases/case/{case.pk}/assign/", {"assignee": users["handler"].pk})

    assert (Case.objects.get(pk=case.pk).assignee_id is not None) is (role == "supervisor")


@pytest.mark.parametrize(("role", "can_edit"), [("handler", True), ("legal_pr", False)])
def test_admin_change_page_edits_only_with_change_permission(client, users, store, role, can_edit):
    case = CaseFactory(store=store, title="旧标题")
    client.force_login(users[role])
    url = f"/admin/cases/case/{case.pk}/change/"
    client.post(url, admin_post_data(client, url, {
        "title": "新标题", "description": case.description, "channel": case.channel,
        "category": case.category, "order_ref": "", "amount": "",
    }))  # fmt: skip

    case.refresh_from_db(fields=["title"])
    assert (case.title == "新标题") is can_edit
