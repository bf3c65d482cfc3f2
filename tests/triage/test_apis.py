"""`POST /api/v1/triage/`: the live preview; answers level, score and reasons, creates nothing."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory
from triage.models import TriageRun

pytestmark = pytest.mark.django_db
URL = "/api/v1/triage/"


def test_the_preview_answers_level_score_and_reasons(api, store_staff):
    response = api.as_user(store_staff).post(
        URL, {"text": "孩子吃完拉肚子了，我要发到微博上", "channel": "store"}, format="json"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["level"] == "red"
    assert body["score"] > 0
    reasons = {r["signal"]: r["evidence"] for r in body["reasons"]}
    assert (reasons["媒体曝光"], reasons["健康损害"]) == (["发到微博"], ["拉肚子"])
    assert not TriageRun.objects.exists()


def test_the_channel_alone_can_make_a_preview_red(api, handler):
    response = api.as_user(handler).post(URL, {"text": "顾客来电", "channel": "regulator"})

    assert response.json()["level"] == "red"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"text": 123}, "text"),
        ({"text": ["拉肚子"]}, "text"),
        ({"text": {"a": "b"}}, "text"),
        ({"text": "送晚了", "channel": "pigeon"}, "channel"),
        ({"text": "送晚了", "category": "nonsense"}, "category"),
        ({"text": "送晚了", "amount": "-5"}, "amount"),
    ],
)
def test_bad_input_gets_a_400_with_the_field_named(api, handler, payload, field):
    response = api.as_user(handler).post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_anonymous_callers_are_refused(api):
    assert api.post(URL, {"text": "曝光"}).status_code == 401


def test_a_user_without_the_preview_permission_is_refused(api):
    outsider = UserFactory(username="outsider")

    assert api.as_user(outsider).post(URL, {"text": "曝光"}).status_code == 403


def test_the_preview_permission_can_be_granted_to_anyone(api):
    user = UserFactory(username="analyst")
    user.user_permissions.add(Permission.objects.get(codename="preview_triage"))

    assert api.as_user(user).post(URL, {"text": "曝光"}).status_code == 200


# End-to-end QA, item 4: store staff see what was found and why, not the patterns behind it.
def test_store_staff_see_signal_evidence_level_and_weight_but_not_the_rule(api, store_staff):
    response = api.as_user(store_staff).post(
        URL, {"text": "孩子吃完拉肚子了，我要发到微博上", "channel": "regulator"}, format="json"
    )

    reasons = response.json()["reasons"]
    assert response.status_code == 200
    assert {"媒体曝光", "健康损害"} <= {r["signal"] for r in reasons}
    assert [sorted({"signal", "evidence", "level", "weight"} - set(r)) for r in reasons] == [
        [] for _ in reasons
    ]
    assert [r for r in reasons if "rule" in r] == []
    assert "发*微博" not in response.content.decode()


def test_the_desk_also_sees_the_rule_that_fired(api, handler):
    response = api.as_user(handler).post(
        URL, {"text": "我要发到微博上", "channel": "store"}, format="json"
    )

    reason = response.json()["reasons"][0]
    assert (reason["signal"], reason["evidence"], reason["rule"]) == (
        "媒体曝光",
        ["发到微博"],
        "发*微博",
    )


# End-to-end QA, item 2: the channel is named as people call it, in the reader's language.
def test_a_channel_reason_shows_the_channels_label_not_its_code(api, store_staff):
    response = api.as_user(store_staff).post(
        URL, {"text": "顾客来电", "channel": "regulator"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    reason = response.json()["reasons"][0]
    assert reason["evidence"] == ["channel: Regulator (12315 / market regulation)"]
    assert reason["value"] == "regulator"
