from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, CaseEvent, State
from tests.factories import (
    PNG,  # noqa: E402
    CaseFactory,
)

INTAKE = {
    "title": "三文鱼有异味",
    "description": "顾客称购买的三文鱼刺身有明显异味。",
    "channel": "app",
    "category": "spoiled_expired",
    "store": "SH001",
    "customer_name": "王女士",
    "customer_phone": "13812345678",
    "amount": "128.50",
    "order_ref": "DD20261130001",
}


def test_token_login_and_me(api, store_staff):
    answer = api.post("/api/v1/auth/token/", {"username": "store_staff", "password": "pw-123456"})
    assert answer.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")

    me = api.get("/api/v1/me/").json()
    assert (me["username"], me["roles"], me["stores"]) == (
        "store_staff", ["store_staff"], [{"code": "SH001", "name": "上海徐汇店"}],
    )  # fmt: skip


def test_wrong_password_gets_400_without_token(api, store_staff):
    answer = api.post("/api/v1/auth/token/", {"username": "store_staff", "password": "nope"})
    assert answer.status_code == 400
    assert "token" not in answer.json()


def test_anonymous_requests_are_refused(api, db):
    assert api.get("/api/v1/cases/").status_code == 401


def test_intake_creates_a_case(api, store_staff):
    answer = api.as_user(store_staff).post("/api/v1/cases/", INTAKE, format="json")

    assert answer.status_code == 201
    body = answer.json()
    assert body["number"].startswith("KS-")
    assert (body["state"], body["store"]["code"], body["customer_phone"]) == (
        "new", "SH001", "138****5678",
    )  # fmt: skip
    assert {"risk_level", "received_at", "risk_score", "risk_reasons"} <= set(body)
    assert Case.objects.get(number=body["number"]).customer_phone == "13812345678"


def test_intake_with_bad_fields_answers_400_per_field_and_saves_nothing(api, store_staff):
    bad = {
        **INTAKE,
        "channel": "pigeon",
        "store": "NOPE",
        "customer_phone": "12345",
        "amount": "-1",
    }
    del bad["title"]
    answer = api.as_user(store_staff).post("/api/v1/cases/", bad, format="json")

    assert answer.status_code == 400
    assert {"title", "channel", "store", "customer_phone", "amount"} <= set(answer.json())
    assert not Case.objects.exists()


def test_intake_for_a_store_that_is_not_yours_is_a_field_error(api, store_staff, other_store):
    answer = api.as_user(store_staff).post(
        "/api/v1/cases/", {**INTAKE, "store": "BJ001"}, format="json"
    )
    assert answer.status_code == 400
    assert "store" in answer.json()


def test_idempotency_key_returns_the_same_case(api, store_staff):
    client = api.as_user(store_staff)
    first = client.post("/api/v1/cases/", INTAKE, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post("/api/v1/cases/", INTAKE, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    other = client.post("/api/v1/cases/", INTAKE, format="json", HTTP_IDEMPOTENCY_KEY="abc-2")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json()["number"] == again.json()["number"] != other.json()["number"]
    assert Case.objects.count() == 2


def test_list_filters(api, handler, store, other_store):
    CaseFactory(store=store, risk_level="red", channel="media", customer_phone="13900001234")
    CaseFactory(store=other_store, risk_level="blue", state=State.RESPONDED, assignee=handler)
    client = api.as_user(handler)

    def numbers(query):
        return [c["store"]["code"] for c in client.get(f"/api/v1/cases/?{query}").json()["results"]]

    assert numbers("risk_level=red") == ["SH001"]
    assert numbers("state=responded") == ["BJ001"]
    assert numbers("store=BJ001") == ["BJ001"]
    assert numbers("assignee=handler") == ["BJ001"]
    assert numbers("channel=media") == ["SH001"]
    assert numbers("search=1234") == ["SH001"]
    assert sorted(numbers("")) == ["BJ001", "SH001"]


def test_bad_filter_value_is_a_400(api, handler):
    answer = api.as_user(handler).get("/api/v1/cases/?state=flying")
    assert answer.status_code == 400
    assert "state" in answer.json()


def test_store_staff_see_only_their_stores_cases(api, store_staff, store, other_store):
    own = CaseFactory(store=store)
    foreign = CaseFactory(store=other_store)
    client = api.as_user(store_staff)

    listed = [c["number"] for c in client.get("/api/v1/cases/").json()["results"]]
    assert listed == [own.number]
    for suffix in ("", "events/", "transitions/"):
        assert client.get(f"/api/v1/cases/{foreign.number}/{suffix}").status_code == 404
    assert client.post(f"/api/v1/cases/{foreign.number}/notes/", {"text": "x"}).status_code == 404


def test_transitions_lists_what_this_user_may_run_now(api, handler, supervisor):
    case = CaseFactory(state=State.RESPONDED)
    as_handler = api.as_user(handler).get(f"/api/v1/cases/{case.number}/transitions/").json()
    as_supervisor = api.as_user(supervisor).get(f"/api/v1/cases/{case.number}/transitions/").json()

    assert [t["name"] for t in as_handler] == ["resolve"]
    assert [t["name"] for t in as_supervisor] == ["resolve", "merge", "reject"]
    assert as_handler[0]["fields"][0] == {"name": "resolution", "required": True,
                                          "label": as_handler[0]["fields"][0]["label"]}  # fmt: skip


def test_transition_codes(api, handler):
    case = CaseFactory()
    client = api.as_user(handler)
    url = f"/api/v1/cases/{case.number}/transitions/"

    missing = client.post(url + "respond/", {}, format="json")
    assert (missing.status_code, list(missing.json())) == (400, ["detail", "note"])
    assert client.post(url + "reopen/", {"reason": "x"}, format="json").status_code == 403
    assert client.post(url + "resolve/", {"resolution": "x"}, format="json").status_code == 409
    assert client.post(url + "fly/", {}, format="json").status_code == 404
    done = client.post(url + "respond/", {"note": "已联系"}, format="json")
    assert (done.status_code, done.json()["state"], done.json()["assignee"]) == (
        200, "responded", "handler",
    )  # fmt: skip
    again = client.post(url + "respond/", {"note": "again"}, format="json")
    assert again.status_code == 409
    assert "detail" in again.json()


def test_events_endpoint_shows_the_timeline(api, handler):
    case = CaseFactory()
    client = api.as_user(handler)
    client.post(f"/api/v1/cases/{case.number}/transitions/respond/", {"note": "已联系"})
    events = client.get(f"/api/v1/cases/{case.number}/events/").json()

    assert [(e["kind"], e["actor"]) for e in events] == [("transition", "handler"),
                                                         ("assigned", "handler")]  # fmt: skip


def test_notes_and_contact_attempts(api, store_staff, handler, store):
    case = CaseFactory(store=store)
    note = api.as_user(store_staff).post(
        f"/api/v1/cases/{case.number}/notes/", {"kind": "note", "text": "顾客补充了照片"}
    )
    attempt = api.as_user(handler).post(
        f"/api/v1/cases/{case.number}/notes/",
        {"kind": "contact_attempt", "text": "电话未接", "outcome": "unreachable"},
    )
    bad = api.as_user(handler).post(
        f"/api/v1/cases/{case.number}/notes/", {"kind": "contact_attempt", "text": "x"}
    )

    assert (note.status_code, attempt.status_code, bad.status_code) == (201, 201, 400)
    assert "outcome" in bad.json()
    assert attempt.json()["data"] == {"outcome": "unreachable", "customer_info": False}


def test_attachments_upload_and_validation(api, store_staff, store, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = CaseFactory(store=store)
    client = api.as_user(store_staff)
    url = f"/api/v1/cases/{case.number}/attachments/"

    ok = client.post(url, {"file": SimpleUploadedFile("a.png", PNG)}, format="multipart")
    wrong = client.post(url, {"file": SimpleUploadedFile("a.txt", b"hello")}, format="multipart")
    none = client.post(url, {}, format="multipart")

    assert (ok.status_code, wrong.status_code, none.status_code) == (201, 400, 400)
    assert "file" in wrong.json() and "file" in none.json()
    assert case.attachments.count() == 1


def test_reveal_is_allowed_to_handlers_and_recorded(api, handler, store_staff, store):
    case = CaseFactory(store=store, customer_phone="13812345678")
    assert api.as_user(store_staff).post(f"/api/v1/cases/{case.number}/reveal/").status_code == 403
    answer = api.as_user(handler).post(f"/api/v1/cases/{case.number}/reveal/")

    assert answer.json()["customer_phone"] == "13812345678"
    assert CaseEvent.objects.filter(case=case, kind="pii_revealed").count() == 1


def test_assign_and_risk_endpoints(api, supervisor, handler):
    case = CaseFactory()
    client = api.as_user(supervisor)
    assigned = client.post(f"/api/v1/cases/{case.number}/assign/", {"assignee": "handler"})
    unknown = client.post(f"/api/v1/cases/{case.number}/assign/", {"assignee": "ghost"})
    risk = client.post(
        f"/api/v1/cases/{case.number}/risk/", {"risk_level": "red", "reason": "媒体"}
    )
    no_reason = client.post(f"/api/v1/cases/{case.number}/risk/", {"risk_level": "red"})

    assert (assigned.json()["assignee"], unknown.status_code) == ("handler", 400)
    assert (risk.json()["risk_level"], risk.json()["risk_overridden"]) == ("red", True)
    assert no_reason.status_code == 400
    handler_assign = api.as_user(handler).post(
        f"/api/v1/cases/{case.number}/assign/", {"assignee": "handler"}
    )
    assert handler_assign.status_code == 403


def test_openapi_schema_and_docs_are_served(api, handler):
    client = api.as_user(handler)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/cases/{number}/transitions/{name}/" in schema.json()["paths"]
    assert client.get("/api/v1/docs/").status_code == 200


def test_errors_are_json_in_chinese_by_default(api, handler):
    answer = api.as_user(handler).get("/api/v1/cases/KS-00000000-0000/")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "未找到。"}


def test_phone_search_beyond_the_visible_four_digits_needs_the_pii_permission(
    api, store_staff, handler, store
):
    case = CaseFactory(store=store, customer_phone="13812345678")

    def found(user, term):
        answer = api.as_user(user).get(f"/api/v1/cases/?search={term}")
        return [c["number"] for c in answer.json()["results"]]

    assert found(store_staff, "5678") == [case.number]
    assert found(store_staff, "45678") == []
    assert found(store_staff, "13812345678") == []
    assert found(handler, "45678") == [case.number]


def test_junk_in_a_case_url_is_a_404_not_a_server_error(api, handler):
    client = api.as_user(handler)
    assert client.get("/api/v1/cases/%00/").status_code == 400
    assert client.get("/api/v1/cases/KS-1/events/").status_code == 404


def test_received_at_far_in_the_past_is_a_field_error(api, store_staff):
    client = api.as_user(store_staff)
    for value in ("0001-01-01T00:00:00", "1900-01-01T00:00:00Z", "2019-05-01T10:00:00+08:00"):
        answer = client.post("/api/v1/cases/", {**INTAKE, "received_at": value}, format="json")
        assert answer.status_code == 400, value
        assert "received_at" in answer.json()
    assert not Case.objects.exists()


def test_transition_input_must_be_text(api, handler):
    case = CaseFactory()
    answer = api.as_user(handler).post(
        f"/api/v1/cases/{case.number}/transitions/respond/", {"note": ["a", "b"]}, format="json"
    )
    assert answer.status_code == 400
    assert "note" in answer.json()
