"""What store staff must not learn or get around: other stores, hidden digits, rule patterns, internal notes."""

import pytest

from cases.models import CaseEvent
from cases.services import case_add_note, case_transition, case_update_details
from core.exceptions import InvalidInput
from tests.factories import CaseFactory


def test_a_case_cannot_be_merged_into_another_stores_case(supervisor, store, other_store):
    source, target = CaseFactory(store=store), CaseFactory(store=other_store)
    with pytest.raises(InvalidInput) as refused:
        case_transition(case=source, transition="merge", actor=supervisor,
                        data={"into": target.number})  # fmt: skip
    assert "into" in refused.value.fields
    assert not target.events.exists()


def test_numbers_in_event_data_and_the_resolution_are_masked_for_store_staff(
    api, store_staff, handler, store
):
    case = CaseFactory(store=store, title="旧标题", resolution="已回拨13912345678")
    case_update_details(case=case, actor=handler, changes={"title": "顾客13912345678投诉"})
    client = api.as_user(store_staff)

    events = client.get(f"/api/v1/cases/{case.number}/events/").text
    detail = client.get(f"/api/v1/cases/{case.number}/").text
    assert "13912345678" not in events and "139****5678" in events
    assert "13912345678" not in detail


def test_rule_patterns_are_not_shown_to_store_staff_in_the_case(api, store_staff, handler, store):
    reasons = [{"signal": "媒体曝光", "evidence": ["发抖音"], "rule": "发*抖音"}]
    case = CaseFactory(store=store, risk_reasons=reasons)

    as_store = api.as_user(store_staff).get(f"/api/v1/cases/{case.number}/").json()
    as_desk = api.as_user(handler).get(f"/api/v1/cases/{case.number}/").json()
    assert as_store["risk_reasons"] == [{"signal": "媒体曝光", "evidence": ["发抖音"]}]
    assert as_desk["risk_reasons"] == reasons


def test_text_search_cannot_confirm_hidden_digits(api, store_staff, handler, store):
    case = CaseFactory(store=store, description="顾客电话13912345678", customer_phone="")

    def found(user, term):
        return [c["number"] for c in api.as_user(user).get(f"/api/v1/cases/?search={term}")
                .json()["results"]]  # fmt: skip

    assert found(store_staff, "1391234") == []
    assert found(handler, "1391234") == [case.number]


def test_admin_free_text_filters_are_refused_to_roles_without_the_pii_right(
    client, manager, handler
):
    CaseFactory(description="顾客电话13912345678")
    client.force_login(manager)
    assert client.get("/admin/cases/case/?description__contains=1391").status_code == 400
    client.force_login(handler)
    assert client.get("/admin/cases/case/?description__contains=1391").status_code == 200


def test_store_staff_cannot_file_a_note_away_as_internal(api, store_staff, store):
    case = CaseFactory(store=store)
    answer = api.as_user(store_staff).post(
        f"/api/v1/cases/{case.number}/notes/",
        {"text": "顾客说要起诉", "customer_info": False},
        format="json",
    )
    assert answer.json()["data"]["customer_info"] is True
    events = api.as_user(store_staff).get(f"/api/v1/cases/{case.number}/events/").json()
    assert [e["note"] for e in events] == ["顾客说要起诉"]


def test_notes_from_before_the_customer_info_flag_stay_visible_to_store_staff(
    api, store_staff, store
):
    case = CaseFactory(store=store)
    CaseEvent.objects.create(case=case, kind="note", note="旧备注", data={},
                             created_at=case.received_at)  # fmt: skip
    events = api.as_user(store_staff).get(f"/api/v1/cases/{case.number}/events/").json()
    assert [e["note"] for e in events] == ["旧备注"]


def test_the_login_throttle_is_not_fooled_by_a_forwarded_for_header(api, store_staff, settings):
    from django.core.cache import cache

    settings.LOGIN_THROTTLE_RATE = "3/min"
    cache.clear()
    codes = [
        api.post("/api/v1/auth/token/", {"username": "store_staff", "password": "guess"},
                 REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code
        for i in range(5)
    ]  # fmt: skip
    assert codes == [400, 400, 400, 429, 429]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("+86 021-12345678", "02112345678"), ("+86-0755-1234567", "07551234567"),
     ("8613812345678", "13812345678")],
)  # fmt: skip
def test_country_codes_are_dropped_from_landlines_too(typed, stored):
    from core.masking import normalize_phone
    from core.validators import validate_phone

    validate_phone(typed)
    assert normalize_phone(typed) == stored


def test_an_acknowledgement_note_stays_off_the_stores_timeline(api, store_staff, handler, store):
    case = CaseFactory(store=store)
    case_add_note(case=case, actor=handler, kind="note", text="x")
    from cases.services import case_log_event

    case_log_event(case=case, kind="acknowledged", note="首次响应计时，第 1 级")
    notes = [e["note"] for e in api.as_user(store_staff).get(
        f"/api/v1/cases/{case.number}/events/").json()]  # fmt: skip
    assert notes == ["首次响应计时，第 1 级"]
