"""A store never learns from a case's risk reasons what other stores' customers complained about:
the repeat-complaint fact (which counts every store's cases) is for the desk only."""

import pytest

from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def repeat_case(open_case, store):
    elsewhere = StoreFactory(code="GZ009", name="广州天河店")
    open_case(store=elsewhere, customer_phone=PHONE, description="面包发霉了")
    return open_case(store=store, customer_phone=PHONE, description="面包有点干")


def test_the_desk_sees_the_repeat_history(repeat_case, api, handler):
    data = api.as_user(handler).get(f"/api/v1/cases/{repeat_case.number}/").json()

    assert "repeat_history" in [r["code"] for r in data["risk_reasons"]]


def test_store_staff_see_neither_the_reason_nor_its_count(repeat_case, api, store_staff, client):
    data = api.as_user(store_staff).get(f"/api/v1/cases/{repeat_case.number}/").json()
    client.force_login(store_staff)
    page = client.get(f"/cases/{repeat_case.number}/").content.decode()

    assert "repeat_history" not in [r["code"] for r in data["risk_reasons"]]
    assert "1" not in data["risk_reason"] and "earlier" not in data["risk_reason"]
    assert "此前" not in page and "earlier complaint" not in page


def test_the_event_list_does_not_carry_triages_reason_line_to_a_store(
    repeat_case, api, store_staff
):
    events = api.as_user(store_staff).get(f"/api/v1/cases/{repeat_case.number}/events/").json()

    assert all(not e["note"] for e in events if e["kind"] == "risk_changed")
