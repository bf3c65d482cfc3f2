"""Internal vs customer notes, merge records, phone numbers in one form, JSON errors and desk labels."""

from django.utils import translation

from cases.models import Case, State
from cases.services import CaseIntake, case_add_note, case_create, case_transition
from cases.transitions import TRANSITIONS
from tests.factories import CaseFactory


def test_internal_notes_are_hidden_from_store_staff(api, client, store_staff, handler, store):
    case = CaseFactory(store=store)
    case_add_note(
        case=case, actor=handler, kind="note", text="内部：疑似职业索赔人", customer_info=False
    )
    case_add_note(case=case, actor=store_staff, kind="note", text="顾客补充了照片")

    events = api.as_user(store_staff).get(f"/api/v1/cases/{case.number}/events/").json()
    client.force_login(store_staff)
    page = client.get(f"/cases/{case.number}/").content.decode()
    desk = api.as_user(handler).get(f"/api/v1/cases/{case.number}/events/").json()

    assert [e["note"] for e in events] == ["顾客补充了照片"]
    assert "疑似职业索赔人" not in page and "顾客补充了照片" in page
    assert len(desk) == 2


def test_desk_notes_are_internal_and_store_notes_are_customer_information(
    store_staff, legal_pr, manager, handler, store
):
    case = CaseFactory(store=store)
    kinds = {
        user.username: case_add_note(case=case, actor=user, kind="note", text="x").data[
            "customer_info"
        ]
        for user in (store_staff, legal_pr, manager, handler)
    }
    assert kinds == {"store_staff": True, "legal_pr": False, "manager": False, "handler": False}


def test_a_contact_attempt_is_customer_information_only_when_the_customer_was_reached(handler):
    case = CaseFactory()
    reached = case_add_note(case=case, actor=handler, kind="contact_attempt", text="顾客说要报警",
                            outcome="reached")  # fmt: skip
    missed = case_add_note(case=case, actor=handler, kind="contact_attempt", text="第二次致电无人接听",
                           outcome="unreachable")  # fmt: skip

    assert (reached.data["customer_info"], missed.data["customer_info"]) == (True, False)


def test_the_merge_target_records_what_was_merged_into_it(supervisor, store):
    source = CaseFactory(store=store, title="小区多户牛奶变质", description="已经有人说要找12315")
    target = CaseFactory(store=store)
    case_transition(case=source, transition="merge", actor=supervisor,
                    data={"into": target.number.lower()})  # fmt: skip

    event = target.events.get(kind="merged_in")
    assert event.data["case"] == source.number
    assert "找12315" in event.note
    assert Case.objects.get(pk=source.pk).state == State.MERGED


def test_phone_numbers_are_stored_in_one_form_however_they_are_typed(store, store_staff):
    def intake(phone):
        case, _ = case_create(
            intake=CaseIntake(title="t", description="d", channel="app", category="delivery",
                              store=store, customer_phone=phone),
            actor=store_staff,
        )  # fmt: skip
        return case.customer_phone

    assert intake("+86 138 1234 5678") == "13812345678"
    assert intake("138-1234-5678") == "13812345678"
    assert intake("021-12345678") == "02112345678"


def test_the_api_accepts_grouped_phone_numbers(api, store_staff, store):
    body = {"title": "t", "description": "d", "channel": "app", "category": "delivery",
            "store": "SH001", "customer_phone": "+86 138 1234 5678"}  # fmt: skip
    answer = api.as_user(store_staff).post("/api/v1/cases/", body, format="json")

    assert answer.status_code == 201
    assert answer.json()["customer_phone"] == "138****5678"


def test_a_phone_number_typed_into_a_title_is_masked_in_lists(client, manager, store_staff, store):
    CaseFactory(store=store, title="顾客13912345678说牛奶变质")
    client.force_login(manager)
    admin_list = client.get("/admin/cases/case/").content.decode()
    client.force_login(store_staff)
    store_list = client.get("/cases/").content.decode()

    for page in (admin_list, store_list):
        assert "13912345678" not in page
        assert "139****5678" in page


def test_api_errors_are_json_with_a_detail(api, handler):
    client = api.as_user(handler)
    missing = client.get("/api/v1/cases/NOPE/")
    bad = client.post("/api/v1/cases/", {"title": ""}, format="json")

    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert "detail" in missing.json()
    assert bad.status_code == 400 and {"detail", "title"} <= set(bad.json())


def test_the_close_transition_and_the_admins_close_button_are_told_apart():
    with translation.override("zh-hans"):
        assert str(TRANSITIONS["close"].label) == "结案"
        assert translation.gettext("Close") == "关闭"


def test_roles_that_only_follow_cases_are_told_why_they_cannot_report(client, manager):
    client.force_login(manager)
    answer = client.get("/cases/new/", HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 403
    assert "may follow cases but not report them" in answer.content.decode()


def test_the_suggested_category_is_shown_on_the_admin_page(client, handler):
    case = CaseFactory(category="other", suggested_category="foreign_object")
    client.force_login(handler)
    page = client.get(f"/admin/cases/case/{case.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")

    assert "Suggested category:" in page.content.decode()
    assert "Foreign object" in page.content.decode()


def test_the_admin_case_page_masks_numbers_in_free_text_for_roles_without_the_pii_right(
    client, manager, handler
):
    from cases.services import case_add_note

    case = CaseFactory(title="顾客13912345678来电", description="回拨 139 1234 5678")
    case_add_note(case=case, actor=handler, kind="note", text="已致电13912345678")
    client.force_login(manager)
    as_manager = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    client.force_login(handler)
    as_handler = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()

    assert "13912345678" not in as_manager and "139 1234 5678" not in as_manager
    assert "139****5678" in as_manager
    assert "13912345678" in as_handler
