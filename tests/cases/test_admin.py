from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, State
from tests.cases.conftest import admin_post_data
from tests.factories import CaseFactory, UserFactory


def _list_queries(client, url="/admin/cases/case/"):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_case_list_query_count_does_not_grow_with_cases(client, handler, store, other_store):
    client.force_login(handler)
    CaseFactory.create_batch(3, store=store, assignee=handler)
    few = _list_queries(client)
    other = UserFactory(username="h2", roles=["handler"])
    CaseFactory.create_batch(30, store=other_store, assignee=other)
    CaseFactory.create_batch(10, store=store)

    assert _list_queries(client) == few


def test_case_list_shows_badge_state_and_masked_phone_never(client, handler, store):
    CaseFactory(store=store, risk_level="red", customer_phone="13812345678", title="腹泻")
    client.force_login(handler)
    page = client.get("/admin/cases/case/").content.decode()

    assert "#d32f2f" in page and "腹泻" in page
    assert "13812345678" not in page


def test_assigned_to_me_and_unassigned_filters(client, handler, supervisor):
    mine = CaseFactory(assignee=handler, title="我的案件")
    unassigned = CaseFactory(title="无人认领")
    CaseFactory(assignee=supervisor, title="主管的案件")
    client.force_login(handler)

    me = client.get("/admin/cases/case/?assignment=me").context["cl"].result_list
    none = client.get("/admin/cases/case/?assignment=none").context["cl"].result_list
    assert [c.pk for c in me] == [mine.pk]
    assert [c.pk for c in none] == [unassigned.pk]


def test_search_by_last_four_digits_of_phone_number_and_text(client, handler):
    target = CaseFactory(customer_phone="13812345678", order_ref="DD-77", title="鸡蛋破损")
    CaseFactory(customer_phone="13900000000", title="配送超时")
    client.force_login(handler)

    for term in ("5678", target.number, "DD-77", "鸡蛋"):
        found = client.get("/admin/cases/case/", {"q": term}).context["cl"].result_list
        assert [c.pk for c in found] == [target.pk], term


def test_change_page_offers_allowed_transitions_and_the_timeline(client, handler, supervisor):
    case = CaseFactory(state=State.RESPONDED)
    client.force_login(handler)
    client.post(f"/admin/cases/case/{case.pk}/note/", {"kind": "note", "text": "门店已排查"})
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()

    assert f"/admin/cases/case/{case.pk}/transition/resolve/" in page
    assert f"/admin/cases/case/{case.pk}/transition/reject/" not in page
    assert "门店已排查" in page
    client.force_login(supervisor)
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert f"/admin/cases/case/{case.pk}/transition/reject/" in page


def test_transition_form_asks_for_required_fields(client, handler):
    case = CaseFactory(state=State.RESOLVED)
    client.force_login(handler)
    page = client.post(f"/admin/cases/case/{case.pk}/transition/close/",
                       {"close_reason": "customer_unreachable"})  # fmt: skip

    assert page.status_code == 200
    assert page.context["form"].errors["close_reason"]
    assert Case.objects.get(pk=case.pk).state == State.RESOLVED


def test_transition_from_the_wrong_state_shows_a_message(client, handler):
    case = CaseFactory(state=State.NEW)
    client.force_login(handler)
    answer = client.post(f"/admin/cases/case/{case.pk}/transition/resolve/",
                         {"resolution": "x"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip

    assert [str(m) for m in answer.context["messages"]] == [
        "“Resolve” is not possible while the case is New."
    ]
    assert Case.objects.get(pk=case.pk).state == State.NEW


def test_adding_a_case_in_the_admin_goes_through_intake(client, handler, store):
    client.force_login(handler)
    answer = client.post("/admin/cases/case/add/", admin_post_data(client, "/admin/cases/case/add/", {
        "title": "顾客来电投诉", "description": "牛奶过期", "channel": "hotline",
        "category": "spoiled_expired", "store": store.pk, "received_at_0": "",
        "received_at_1": "", "order_ref": "", "amount": "", "customer_name": "李先生",
        "customer_phone": "13812345678", "customer_contact": "",
    }))  # fmt: skip

    case = Case.objects.get()
    assert answer.status_code == 302
    assert case.number.startswith("KS-") and case.reporter == handler
    assert case.events.get().kind == "created"


def test_admin_reveal_shows_and_records(client, handler):
    case = CaseFactory(customer_phone="13812345678")
    client.force_login(handler)
    page = client.post(f"/admin/cases/case/{case.pk}/reveal/").content.decode()

    assert "13812345678" in page
    assert case.events.filter(kind="pii_revealed").count() == 1


def test_cases_cannot_be_deleted_in_the_admin(client, supervisor):
    case = CaseFactory()
    client.force_login(supervisor)
    client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"})
    assert Case.objects.filter(pk=case.pk).exists()


def test_csv_export_masks_customer_data_and_defuses_formulas(client, handler):
    CaseFactory(customer_phone="13812345678", customer_name="张三丰", title="=HYPERLINK(1)")
    client.force_login(handler)
    ids = list(Case.objects.values_list("pk", flat=True))
    answer = client.post("/admin/cases/case/", {"action": "export_csv", "_selected_action": ids})
    body = answer.content.decode("utf-8-sig")

    assert answer["Content-Type"].startswith("text/csv")
    assert "138****5678" in body and "张**" in body
    assert "13812345678" not in body and "张三丰" not in body
    assert "'=HYPERLINK(1)" in body


def test_admin_links_attachments_through_the_checked_download_view(
    client, handler, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.services import case_add_attachment

    settings.MEDIA_ROOT = tmp_path
    case = CaseFactory()
    from tests.factories import PNG as png

    attachment = case_add_attachment(
        case=case, actor=handler, uploaded=SimpleUploadedFile("p.png", png)
    )
    client.force_login(handler)
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    link = f"/cases/{case.number}/attachments/{attachment.pk}/"

    assert link in page
    assert b"".join(client.get(link).streaming_content) == png
    assert client.get(f"/media/{attachment.file.name}").status_code == 404


def test_admin_add_keeps_the_input_and_shows_field_errors(client, handler, store):
    client.force_login(handler)
    url = "/admin/cases/case/add/"
    answer = client.post(url, admin_post_data(client, url, {
        "title": "顾客来电投诉", "description": "牛奶过期", "channel": "hotline",
        "category": "spoiled_expired", "store": store.pk, "received_at_0": "2099-01-01",
        "received_at_1": "10:00:00", "order_ref": "", "amount": "-5", "customer_name": "",
        "customer_phone": "", "customer_contact": "",
    }))  # fmt: skip

    assert answer.status_code == 200
    errors = answer.context["adminform"].form.errors
    assert {"received_at", "amount"} <= set(errors)
    assert "顾客来电投诉" in answer.content.decode()
    assert not Case.objects.exists()


def test_admin_timeline_shows_labels_not_codes(client, handler):
    case = CaseFactory()
    client.force_login(handler)
    client.post(f"/admin/cases/case/{case.pk}/transition/respond/", {"note": "已联系"})
    client.post(f"/admin/cases/case/{case.pk}/note/",
                {"kind": "contact_attempt", "text": "未接", "outcome": "unreachable"})  # fmt: skip
    page = client.get(f"/admin/cases/case/{case.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()

    assert "New → Responded" in text
    assert "— → handler" in text
    assert "Unreachable" in text
