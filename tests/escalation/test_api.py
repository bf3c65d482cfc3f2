"""The case API carries each case's SLA clocks and escalation level, and filters on them."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from escalation.services import sla_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_cases(open_case):
    now = timezone.now()
    breached = open_case(received_at=now - timedelta(hours=2), now=now, title="breached")
    due_soon = open_case(received_at=now - timedelta(minutes=50), now=now, title="due soon")
    fresh = open_case(now=now, title="fresh")
    sla_sweep(now=now)
    return {"breached": breached, "due_soon": due_soon, "fresh": fresh}


def numbers(response) -> set[str]:
    return {row["number"] for row in response.json()["results"]}


def test_each_case_in_the_list_carries_its_clocks_and_escalation_level(api, handler, three_cases):
    response = api.as_user(handler).get("/api/v1/cases/")

    rows = {row["number"]: row for row in response.json()["results"]}
    breached = rows[three_cases["breached"].number]
    assert [(c["kind"], c["state"]) for c in breached["sla"]] == [
        ("first_response", "breached"),
        ("close", "running"),
    ]
    assert breached["sla"][0]["remaining_seconds"] < -3600
    assert breached["escalation_level"] == 2
    assert rows[three_cases["fresh"].number]["escalation_level"] == 0


def test_the_case_detail_carries_the_clocks_too(api, handler, three_cases):
    case = three_cases["due_soon"]

    body = api.as_user(handler).get(f"/api/v1/cases/{case.number}/").json()

    first_response = body["sla"][0]
    assert first_response["kind"] == "first_response"
    assert 0 < first_response["remaining_seconds"] <= 600
    assert datetime.fromisoformat(first_response["due_at"]) == case.received_at + timedelta(hours=1)


@pytest.mark.parametrize(
    ("value", "expected"), [("breached", "breached"), ("due_soon", "due_soon")]
)
def test_the_list_filters_on_sla(api, handler, three_cases, value, expected):
    response = api.as_user(handler).get("/api/v1/cases/", {"sla": value})

    assert numbers(response) == {three_cases[expected].number}


def test_an_unknown_sla_filter_is_a_400_with_a_field_error(api, handler, three_cases):
    response = api.as_user(handler).get("/api/v1/cases/", {"sla": "late"})

    assert response.status_code == 400
    assert "sla" in response.json()


def test_due_at_is_given_in_local_time_like_received_at(api, handler, three_cases):
    case = three_cases["fresh"]

    body = api.as_user(handler).get(f"/api/v1/cases/{case.number}/").json()

    due_texts = [clock["due_at"] for clock in body["sla"]]
    assert body["received_at"].endswith("+08:00")
    assert [text[-6:] for text in due_texts] == ["+08:00", "+08:00"]
    assert datetime.fromisoformat(due_texts[1]) == case.received_at + timedelta(hours=24)


@pytest.fixture
def schema(api, handler):
    response = api.as_user(handler).get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    return response.json()


def test_the_openapi_schema_describes_sla_and_escalation_level_on_each_case(schema):
    components = schema["components"]["schemas"]
    case_output = components["CaseOutput"]["properties"]
    clock_ref = case_output["sla"]["items"]["$ref"].rsplit("/", 1)[-1]

    assert case_output["escalation_level"]["type"] == "integer"
    assert set(components[clock_ref]["properties"]) == {
        "kind",
        "due_at",
        "state",
        "remaining_seconds",
    }
    assert components[clock_ref]["properties"]["due_at"]["format"] == "date-time"


def test_the_openapi_schema_describes_the_sla_filter_of_the_case_list(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}

    assert parameters["sla"]["in"] == "query"
    assert parameters["sla"]["schema"]["enum"] == ["breached", "due_soon"]
