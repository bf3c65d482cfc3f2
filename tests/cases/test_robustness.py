"""Hostile or odd input found by fuzzing: always a clear 4xx, never a 500 or a leak."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case
from tests.factories import (
    PNG,  # noqa: E402
    CaseFactory,
)

INTAKE = {"title": "t", "description": "d", "channel": "app", "category": "delivery",
          "store": "SH001"}  # fmt: skip


def test_admin_filters_cannot_probe_customer_data(client, manager, store):
    CaseFactory(store=store, customer_phone="13812345678")
    client.force_login(manager)

    assert client.get("/admin/cases/case/?customer_phone__startswith=138").status_code == 400
    assert client.get("/admin/cases/case/?customer_name__startswith=张").status_code == 400


def test_over_long_text_is_a_field_error(api, store_staff, handler, store):
    long_description = api.as_user(store_staff).post(
        "/api/v1/cases/", {**INTAKE, "description": "拉" * 20_001}, format="json"
    )
    case = CaseFactory(store=store)
    long_note = api.as_user(handler).post(
        f"/api/v1/cases/{case.number}/notes/", {"text": "x" * 10_001}, format="json"
    )

    assert long_description.status_code == 400 and "description" in long_description.json()
    assert long_note.status_code == 400 and "text" in long_note.json()
    assert Case.objects.count() == 1


def test_out_of_range_time_filters_are_bad_input(api, handler):
    client = api.as_user(handler)
    for query in ("received_after=0001-01-01T00:00:00%2B14:00",
                  "received_before=9999-12-31T23:59:59-14:00"):  # fmt: skip
        answer = client.get(f"/api/v1/cases/?{query}")
        assert answer.status_code == 400, query
        assert set(answer.json()) >= {"detail"}


def test_an_unusual_but_valid_offset_is_converted_not_refused(api, handler):
    answer = api.as_user(handler).get("/api/v1/cases/?received_after=2026-01-01T00:00:00%2B17:00")
    assert answer.status_code == 200


def test_a_time_filter_with_an_offset_means_that_instant(api, handler, store):
    CaseFactory(store=store, received_at="2026-03-01T02:00:00Z")
    client = api.as_user(handler)

    after = client.get("/api/v1/cases/?received_after=2026-03-01T09:59:00%2B08:00").json()
    later = client.get("/api/v1/cases/?received_after=2026-03-01T10:01:00%2B08:00").json()
    assert (after["count"], later["count"]) == (1, 0)


def test_attachments_are_stored_under_generated_names(api, store_staff, store, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = CaseFactory(store=store)
    name = "\U00020000" * 70 + ".png"
    answer = api.as_user(store_staff).post(
        f"/api/v1/cases/{case.number}/attachments/",
        {"file": SimpleUploadedFile(name, PNG)},
        format="multipart",
    )

    assert answer.status_code == 201
    attachment = case.attachments.get()
    assert attachment.original_name == name
    assert attachment.file.name.endswith(".png") and len(attachment.file.name) < 80


def test_a_missing_attachment_file_is_a_404(client, store_staff, store, settings, tmp_path):
    from cases.services import case_add_attachment

    settings.MEDIA_ROOT = tmp_path
    case = CaseFactory(store=store)
    attachment = case_add_attachment(case=case, actor=store_staff,
                                     uploaded=SimpleUploadedFile("a.png", PNG))  # fmt: skip
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(store_staff)

    assert client.get(f"/cases/{case.number}/attachments/{attachment.pk}/").status_code == 404


def test_phone_numbers_in_free_text_are_masked_for_roles_without_the_pii_right(
    api, manager, handler, store
):
    case = CaseFactory(store=store, title="顾客13700001111来电", description="回电 137 0000 1111")

    as_manager = api.as_user(manager).get(f"/api/v1/cases/{case.number}/").json()
    as_handler = api.as_user(handler).get(f"/api/v1/cases/{case.number}/").json()

    assert (as_manager["title"], as_manager["description"]) == (
        "顾客137****1111来电",
        "回电 137****1111",
    )
    assert as_handler["title"] == "顾客13700001111来电"


def test_nul_characters_are_refused_at_the_door(api, store_staff, handler):
    client = api.as_user(store_staff)
    store_nul = client.post("/api/v1/cases/", {**INTAKE, "store": "SH001\x00"}, format="json")
    query_nul = api.as_user(handler).get("/api/v1/cases/?state=%00")

    assert (store_nul.status_code, query_nul.status_code) == (400, 400)


def test_json_nested_too_deeply_is_bad_input(api, store_staff):
    body = "[" * 100_000 + "]" * 100_000
    answer = api.as_user(store_staff).post("/api/v1/cases/", body, content_type="application/json")
    assert answer.status_code == 400


def test_password_guessing_is_throttled(api, store_staff, settings):
    from django.core.cache import cache

    settings.LOGIN_THROTTLE_RATE = "3/min"
    cache.clear()
    codes = [
        api.post("/api/v1/auth/token/", {"username": "store_staff", "password": "guess"},
                 REMOTE_ADDR="10.9.8.7").status_code
        for _ in range(4)
    ]  # fmt: skip
    assert codes == [400, 400, 400, 429]


def test_reusing_an_idempotency_key_for_another_complaint_is_a_conflict(api, store_staff):
    client = api.as_user(store_staff)
    first = client.post("/api/v1/cases/", INTAKE, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post("/api/v1/cases/", {**INTAKE, "title": "another"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip

    assert (first.status_code, other.status_code) == (201, 409)
    assert Case.objects.count() == 1
