"""Requests that can never be valid are refused at the door with a clear error — JSON under
/api/ — and nothing is stored: oversized bodies (413, no traceback logged at ERROR), NUL bytes,
form data that is not UTF-8."""

import logging

import pytest
from django.test import override_settings

from cases.models import Case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


@pytest.fixture
def desk(handler):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=handler).key}")
    return client


@pytest.fixture
def case_in_store(store):
    from tests.factories import CaseFactory

    return CaseFactory(store=store)


def test_an_oversized_json_body_is_a_json_413_logged_as_a_warning(desk, caplog, settings):
    body = b'{"title": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'

    with caplog.at_level(logging.INFO):
        response = desk.generic("POST", CASES, body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "请求过大" in response.json()["detail"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not Case.objects.exists()


@override_settings(REQUEST_MAX_UPLOAD_BYTES=1000)
def test_an_oversized_upload_is_refused_before_it_is_read(desk, case_in_store):
    response = desk.generic(
        "POST",
        f"/api/v1/cases/{case_in_store.number}/attachments/",
        b"x" * 2000,
        content_type="multipart/form-data; boundary=zzz",
    )

    assert response.status_code == 413


def test_a_nul_byte_in_the_query_is_a_json_400_under_the_api(desk, client):
    api = desk.get(CASES + "?q=a%00b")
    page = client.get("/login/?next=a%00b")

    assert (api.status_code, api["Content-Type"]) == (400, "application/json")
    assert api.json()["detail"]
    assert (page.status_code, page["Content-Type"]) == (400, "text/plain; charset=utf-8")


def test_form_data_that_is_not_utf8_is_refused_and_nothing_stored(desk, store):
    body = (f"title=%ff%fe%fd&description=x&channel=app&category=other&store={store.code}").encode()

    response = desk.generic("POST", CASES, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]
    assert not Case.objects.exists()


def test_utf8_form_data_is_accepted(desk, store):
    body = (
        "title=%E9%85%B8%E5%A5%B6&description=%E5%8F%91%E9%85%B8"
        f"&channel=app&category=other&store={store.code}"
    ).encode()

    response = desk.generic("POST", CASES, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 201
    assert Case.objects.get().title == "酸奶"


def test_a_bad_request_django_raises_itself_is_json_under_the_api(rf):
    from core.api import api_bad_request

    response = api_bad_request(rf.get("/api/v1/cases/"))

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
