from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Attachment, Case, CaseEvent, EventKind
from cases.services import case_transition
from tests.factories import PNG, CaseFactory, UserFactory, jpeg_bytes

PDF = b"%PDF-1.4\n" + b"0" * 64
LIST_URL = reverse("store:case_list")
REPORT_URL = reverse("store:case_report")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def nobody(db):
    return UserFactory(username="nobody", roles=[])


@pytest.fixture
def own_case(store):
    return CaseFactory(store=store, title="酸奶有异味", customer_phone="13812345678")


@pytest.fixture
def other_case(other_store):
    return CaseFactory(store=other_store, title="北京的投诉")


def logged_in(client, user):
    client.force_login(user)
    return client


def detail_url(case):
    return reverse("store:case_detail", args=[case.number])


def add_info_url(case):
    return reverse("store:case_add_info", args=[case.number])


def report_data(store, /, **overrides):
    data = {
        "store": store.pk,
        "channel": "store",
        "category": "spoiled_expired",
        "title": "牛奶过期",
        "description": "顾客购买的牛奶已过期两天，要求赔偿。",
        "received_at": "",
        "order_ref": "ORD-1001",
        "amount": "25.50",
        "customer_name": "李四",
        "customer_phone": "13912345678",
        "customer_contact": "",
        "idempotency_key": "key-1",
    }
    data.update(overrides)
    return data


# --- who may open which page ------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["store:case_list", "store:case_report"])
def test_anonymous_visitor_is_sent_to_the_login_page(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("store:login"))


def test_anonymous_visitor_cannot_open_a_case(client, own_case):
    response = client.get(detail_url(own_case))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("store:login"))


@pytest.mark.parametrize(
    ("role", "list_status", "report_status", "own_status", "other_status"),
    [
        ("store_staff", 200, 200, 200, 404),
        ("handler", 200, 200, 200, 200),
        ("supervisor", 200, 200, 200, 200),
        ("legal_pr", 200, 403, 200, 200),
        ("manager", 200, 403, 200, 200),
    ],
)
def test_each_role_gets_the_pages_its_permissions_allow(
    client, users, own_case, other_case, role, list_status, report_status, own_status, other_status
):
    logged_in(client, users[role])

    statuses = (
        client.get(LIST_URL).status_code,
        client.get(REPORT_URL).status_code,
        client.get(detail_url(own_case)).status_code,
        client.get(detail_url(other_case)).status_code,
    )

    assert statuses == (list_status, report_status, own_status, other_status)


def test_a_user_without_a_role_gets_a_forbidden_page_everywhere(client, nobody, own_case):
    logged_in(client, nobody)

    statuses = (
        client.get(LIST_URL).status_code,
        client.get(REPORT_URL).status_code,
        client.get(detail_url(own_case)).status_code,
        client.post(add_info_url(own_case), {"text": "x"}).status_code,
    )

    assert statuses == (403, 403, 403, 403)
    assert not CaseEvent.objects.filter(kind=EventKind.NOTE).exists()


@pytest.mark.parametrize("role", ["legal_pr", "manager"])
def test_roles_that_may_not_report_cannot_post_a_report(client, users, store, role):
    logged_in(client, users[role])

    response = client.post(REPORT_URL, report_data(store))

    assert response.status_code == 403
    assert Case.objects.count() == 0


# --- store isolation ----------------------------------------------------------------------------


def test_case_list_shows_only_the_staff_members_own_store(
    client, store_staff, own_case, other_case
):
    response = logged_in(client, store_staff).get(LIST_URL)

    assert own_case.number in response.content.decode()
    assert other_case.number not in response.content.decode()


def test_handler_sees_every_stores_cases_in_the_list(client, handler, own_case, other_case):
    response = logged_in(client, handler).get(LIST_URL)

    assert own_case.number in response.content.decode()
    assert other_case.number in response.content.decode()


def test_adding_information_to_another_stores_case_answers_404_and_writes_nothing(
    client, store_staff, other_case
):
    response = logged_in(client, store_staff).post(add_info_url(other_case), {"text": "hello"})

    assert response.status_code == 404
    assert not CaseEvent.objects.filter(case=other_case, kind=EventKind.NOTE).exists()


def test_another_stores_attachment_answers_404(client, store_staff, handler, other_case):
    logged_in(client, handler).post(
        add_info_url(other_case), {"attachments": SimpleUploadedFile("a.png", PNG)}
    )
    attachment = Attachment.objects.get(case=other_case)

    response = logged_in(client, store_staff).get(
        reverse("store:attachment_download", args=[other_case.number, attachment.pk])
    )

    assert response.status_code == 404


def test_staff_member_can_download_an_attachment_of_their_store(client, store_staff, own_case):
    logged_in(client, store_staff).post(
        add_info_url(own_case), {"attachments": SimpleUploadedFile("scan.pdf", PDF)}
    )
    attachment = Attachment.objects.get(case=own_case)

    response = client.get(
        reverse("store:attachment_download", args=[own_case.number, attachment.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_staff_member_without_a_store_sees_an_empty_list_and_cannot_report(client, own_case):
    lonely = UserFactory(username="lonely", roles=["store_staff"])
    logged_in(client, lonely)

    listing = client.get(LIST_URL)
    report = client.get(REPORT_URL)

    assert listing.status_code == 200
    assert list(listing.context["page"].object_list) == []
    assert report.context["has_stores"] is False
    assert b'id="report-form"' not in report.content


# --- reporting a complaint ----------------------------------------------------------------------


def test_report_form_offers_only_the_users_own_stores(client, store_staff, store, other_store):
    response = logged_in(client, store_staff).get(REPORT_URL)

    assert list(response.context["form"].fields["store"].queryset) == [store]


def test_reporting_a_complaint_creates_the_case_with_its_attachments(client, store_staff, store):
    data = report_data(
        store,
        attachments=[SimpleUploadedFile("photo.png", PNG), SimpleUploadedFile("receipt.pdf", PDF)],
    )

    response = logged_in(client, store_staff).post(REPORT_URL, data)

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(case)
    assert (case.title, case.store, case.reporter, case.customer_phone, str(case.amount)) == (
        "牛奶过期",
        store,
        store_staff,
        "13912345678",
        "25.50",
    )
    assert sorted(case.attachments.values_list("original_name", flat=True)) == [
        "photo.png",
        "receipt.pdf",
    ]


def test_received_at_defaults_to_now_when_left_empty(client, store_staff, store):
    before = timezone.now()

    logged_in(client, store_staff).post(REPORT_URL, report_data(store))

    assert before <= Case.objects.get().received_at <= timezone.now()


@time_machine.travel(datetime(2026, 1, 1, 8, 0, tzinfo=UTC), tick=False)
def test_received_at_entered_in_local_time_is_stored_as_that_instant(client, store_staff, store):
    data = report_data(store, received_at="2026-01-01T10:00")

    logged_in(client, store_staff).post(REPORT_URL, data)

    assert Case.objects.get().received_at == datetime(2026, 1, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("missing", ["store", "channel", "category", "title", "description"])
def test_a_missing_required_field_is_a_form_error_and_nothing_is_saved(
    client, store_staff, store, missing
):
    data = report_data(store)
    del data[missing]

    response = logged_in(client, store_staff).post(REPORT_URL, data)

    assert response.status_code == 200
    assert missing in response.context["form"].errors
    assert Case.objects.count() == 0


def test_an_empty_post_shows_every_required_field_as_an_error(client, store_staff):
    response = logged_in(client, store_staff).post(REPORT_URL, {})

    assert set(response.context["form"].errors) == {
        "store",
        "channel",
        "category",
        "title",
        "description",
    }
    assert Case.objects.count() == 0


def test_a_bad_phone_number_is_a_form_error_and_nothing_is_saved(client, store_staff, store):
    response = logged_in(client, store_staff).post(
        REPORT_URL, report_data(store, customer_phone="12345")
    )

    assert "customer_phone" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_another_stores_code_cannot_be_chosen(client, store_staff, store, other_store):
    response = logged_in(client, store_staff).post(
        REPORT_URL, report_data(store, store=other_store.pk)
    )

    assert "store" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_a_wrong_type_attachment_is_a_form_error_and_no_case_is_created(client, store_staff, store):
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not really a picture")

    response = logged_in(client, store_staff).post(
        REPORT_URL,
        report_data(store, attachments=[SimpleUploadedFile("ok.png", PNG), fake]),
    )

    assert "attachments" in response.context["form"].errors
    assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)


def test_an_oversized_attachment_is_a_form_error_and_no_case_is_created(
    client, settings, store_staff, store
):
    settings.ATTACHMENT_MAX_BYTES = 100
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 200)

    response = logged_in(client, store_staff).post(
        REPORT_URL, report_data(store, attachments=[big])
    )

    assert "attachments" in response.context["form"].errors
    assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)


def test_a_service_refusal_becomes_a_form_error_not_a_500(client, store_staff, store):
    tomorrow = timezone.localtime() + timedelta(days=1)

    response = logged_in(client, store_staff).post(
        REPORT_URL, report_data(store, received_at=tomorrow.strftime("%Y-%m-%dT%H:%M"))
    )

    assert response.status_code == 200
    assert "received_at" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_a_double_submitted_form_creates_one_case(client, store_staff, store):
    logged_in(client, store_staff)

    first = client.post(
        REPORT_URL, report_data(store, attachments=[SimpleUploadedFile("a.png", PNG)])
    )
    second = client.post(
        REPORT_URL, report_data(store, attachments=[SimpleUploadedFile("a.png", PNG)])
    )

    assert (Case.objects.count(), Attachment.objects.count()) == (1, 1)
    assert second["Location"] == first["Location"]


def test_each_report_form_carries_a_fresh_idempotency_token(client, store_staff):
    logged_in(client, store_staff)

    first = client.get(REPORT_URL).context["form"]["idempotency_key"].value()
    second = client.get(REPORT_URL).context["form"]["idempotency_key"].value()

    assert first
    assert first != second


def test_report_page_is_never_cached_so_back_does_not_reuse_a_spent_token(client, store_staff):
    response = logged_in(client, store_staff).get(REPORT_URL)

    assert "no-store" in response["Cache-Control"]


def test_report_page_wires_the_live_risk_preview(client, store_staff):
    response = logged_in(client, store_staff).get(REPORT_URL)

    assert b'data-url="/api/v1/triage/"' in response.content
    assert b"cases/risk_preview.js" in response.content


# --- case list ------------------------------------------------------------------------------------


def test_case_list_is_newest_first_and_shows_received_time_in_local_time(
    client, store_staff, store
):
    older = CaseFactory(store=store, received_at=datetime(2026, 1, 1, 2, 0, tzinfo=UTC))
    newer = CaseFactory(store=store, received_at=datetime(2026, 1, 2, 2, 0, tzinfo=UTC))

    response = logged_in(client, store_staff).get(LIST_URL)

    assert list(response.context["page"].object_list) == [newer, older]
    assert "2026-01-01 10:00" in response.content.decode()


def test_case_list_shows_a_coloured_risk_badge(client, store_staff, store):
    CaseFactory(store=store, risk_level="red")

    response = logged_in(client, store_staff).get(LIST_URL)

    assert b'class="badge risk-red"' in response.content


def test_case_list_filters_by_state(client, store_staff, handler, store):
    waiting = CaseFactory(store=store)
    answered = CaseFactory(store=store)
    case_transition(case=answered, transition="respond", actor=handler, data={"note": "已致电"})

    response = logged_in(client, store_staff).get(LIST_URL, {"state": "responded"})

    assert list(response.context["page"].object_list) == [answered]
    assert waiting.number not in response.content.decode()


def test_an_unknown_state_filter_is_a_form_error(client, store_staff, own_case):
    response = logged_in(client, store_staff).get(LIST_URL, {"state": "exploded"})

    assert response.status_code == 200
    assert "state" in response.context["filter_form"].errors


def test_case_list_is_paginated(client, store_staff, store):
    CaseFactory.create_batch(25, store=store)

    logged_in(client, store_staff)
    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})

    assert (len(first.context["page"].object_list), len(second.context["page"].object_list)) == (
        20,
        5,
    )


def test_case_list_query_count_does_not_grow_with_the_number_of_cases(
    client, store_staff, store, django_assert_max_num_queries
):
    logged_in(client, store_staff)
    CaseFactory(store=store)
    with CaptureQueriesContext(connection) as one_case:
        client.get(LIST_URL)
    CaseFactory.create_batch(40, store=store)

    with django_assert_max_num_queries(len(one_case.captured_queries)):
        response = client.get(LIST_URL)

    assert len(response.context["page"].object_list) == 20


# --- case detail ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["store_staff", "handler"])
def test_case_detail_shows_customer_data_masked(client, users, own_case, role):
    response = logged_in(client, users[role]).get(detail_url(own_case))

    page = response.content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    assert own_case.customer_name not in page


def test_adding_a_note_and_an_attachment_appears_in_the_timeline(client, store_staff, own_case):
    logged_in(client, store_staff)

    response = client.post(
        add_info_url(own_case),
        {
            "text": "顾客已到店，留存了样品。",
            "attachments": [SimpleUploadedFile("sample.jpg", jpeg_bytes())],
        },
    )
    page = client.get(detail_url(own_case)).content.decode()

    assert response.status_code == 302
    assert "顾客已到店，留存了样品。" in page
    assert "sample.jpg" in page
    assert list(
        CaseEvent.objects.filter(case=own_case).order_by("id").values_list("kind", flat=True)
    ) == [EventKind.NOTE, EventKind.ATTACHMENT]


def test_an_empty_add_information_form_is_a_form_error(client, store_staff, own_case):
    response = logged_in(client, store_staff).post(add_info_url(own_case), {"text": "  "})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not CaseEvent.objects.filter(case=own_case).exists()


def test_a_bad_attachment_keeps_the_note_from_being_saved_too(client, store_staff, own_case):
    response = logged_in(client, store_staff).post(
        add_info_url(own_case),
        {"text": "附上照片", "attachments": [SimpleUploadedFile("virus.pdf", b"MZ\x90")]},
    )

    assert "attachments" in response.context["form"].errors
    assert not CaseEvent.objects.filter(case=own_case).exists()


def test_a_role_that_may_not_attach_files_gets_a_note_only_form(client, legal_pr, own_case):
    logged_in(client, legal_pr)

    form = client.get(detail_url(own_case)).context["form"]
    client.post(add_info_url(own_case), {"text": "法务已知悉"})

    assert list(form.fields) == ["text"]
    assert CaseEvent.objects.get(case=own_case).note == "法务已知悉"


# --- log in, log out, languages ----------------------------------------------------------------


def test_logging_in_leads_to_the_case_list(client, store_staff):
    response = client.post(
        reverse("store:login"), {"username": "store_staff", "password": "pw-123456"}
    )

    assert response.status_code == 302
    assert response["Location"] == LIST_URL


def test_a_wrong_password_is_a_form_error(client, store_staff):
    response = client.post(reverse("store:login"), {"username": "store_staff", "password": "x"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_logging_out_ends_the_session(client, store_staff):
    logged_in(client, store_staff)

    client.post(reverse("store:logout"))

    assert client.get(LIST_URL).status_code == 302


def test_pages_are_in_chinese_by_default(client, store_staff, store):
    response = logged_in(client, store_staff).post(REPORT_URL, report_data(store, title=""))

    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "该字段是必填项。" in page


def test_pages_are_in_english_once_chosen_in_the_language_switcher(client, store_staff, store):
    logged_in(client, store_staff)

    switched = client.post(reverse("set_language"), {"language": "en", "next": REPORT_URL})
    page = client.post(REPORT_URL, report_data(store, title="")).content.decode()

    assert switched["Location"] == REPORT_URL
    assert '<html lang="en">' in page
    assert "This field is required." in page


def test_store_staff_can_search_their_cases(client, store_staff, store, other_store):
    from tests.factories import CaseFactory

    wanted = CaseFactory(store=store, title="鸡蛋破损", customer_phone="13812345678")
    CaseFactory(store=store, title="配送超时", customer_phone="13900000000")
    CaseFactory(store=other_store, title="鸡蛋破损", customer_phone="13900000000")
    logged_in(client, store_staff)

    for term in ("鸡蛋", "5678", wanted.number):
        page = client.get(reverse("store:case_list"), {"q": term}).content.decode()
        assert wanted.number in page and "配送超时" not in page, term
    assert page.count("鸡蛋破损") == 1
