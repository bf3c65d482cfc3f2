from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from notifications.messages import message_for_alert, message_for_digest
from tests.notifications.factories import AlertFactory

NOW = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def render(**fields):
    with translation.override("en"):
        return message_for_alert(alert=AlertFactory(**fields), now=NOW)


def test_sla_message_says_what_is_due_and_when_in_local_time(settings):
    settings.SITE_URL = "https://desk.example"
    message = render(
        case_number="KS-20260101-0007",
        due_at=NOW + timedelta(minutes=15),
        escalation_level=2,
        url="/admin/cases/case/7/change/",
    )
    assert message.title == "SLA breached for KS-20260101-0007: first response (1 hour) is overdue"
    assert message.text.splitlines() == [
        message.title,
        "",
        "Case: KS-20260101-0007",
        "Title: 酸奶有异味",
        "Risk level: 🔴 Red",
        "Store: SH001 上海徐汇店 (华东)",
        "Due: first response (1 hour) — 2026-01-01 10:15 (Asia/Shanghai), in 15 minutes",
        "Escalation level: 2",
        "",
        "Open the case: https://desk.example/admin/cases/case/7/change/",
    ]


def test_link_is_kept_when_the_alert_already_has_an_absolute_url():
    message = render(url="https://other.example/admin/cases/case/1/change/")
    assert message.link == "https://other.example/admin/cases/case/1/change/"


def test_full_phone_numbers_never_reach_a_message():
    message = render(
        title="顾客13812345678投诉",
        extra={"phone": "13987654321", "reasons": ["致电 +86 13700001111 无人接"]},
    )
    everything = message.text + str(message.payload)
    assert "13812345678" not in everything
    assert "13987654321" not in everything
    assert "13700001111" not in everything
    assert "138****5678" in everything
    assert "139****4321" in message.text


def test_each_kind_has_its_own_headline():
    titles = {
        kind: render(kind=kind, case_number="KS-9", escalation_level=3, sla="close").title
        for kind in ["case_red", "sla_warning", "sla_breach", "escalation", "test"]
    }
    assert titles == {
        "case_red": "Case KS-9 became red: 酸奶有异味",
        "sla_warning": "SLA warning for KS-9: closing the loop (24 hours) is due soon",
        "sla_breach": "SLA breached for KS-9: closing the loop (24 hours) is overdue",
        "escalation": "Escalation level 3 reached for KS-9",
        "test": "Test message from the complaint desk",
    }


def test_webhook_payload_holds_the_documented_fields():
    message = render(due_at=NOW)
    assert {"kind", "case", "risk_level", "title", "text", "sla", "due_at"} <= set(message.payload)
    assert message.payload["due_at"] == "2026-01-01T02:00:00+00:00"
    assert message.payload["sla"] == "first_response"


def test_digest_lists_every_alert_with_its_link_and_the_highest_risk():
    alerts = [AlertFactory(risk_level="blue"), AlertFactory(risk_level="red")]
    with translation.override("en"):
        digest = message_for_digest(alerts=alerts, now=NOW)
    assert digest.title == "Digest of 2 alerts"
    assert digest.risk_level == "red"
    assert [line.label for line in digest.lines] == [
        f"🔵 {alerts[0].case_number}",
        f"🔴 {alerts[1].case_number}",
    ]
    assert all(line.href.endswith("/admin/cases/case/1/change/") for line in digest.lines)
    assert [item["case"] for item in digest.payload["items"]] == [a.case_number for a in alerts]


def test_im_messages_show_the_masked_phone_and_risk_signals_the_sla_engine_sends():
    # the keys escalation puts in Alert.extra; risk_reasons is triage's list of reasons
    message = render(
        extra={
            "masked_phone": "138****5678",
            "risk_reason": "健康损害: “拉肚子”",
            "risk_reasons": [
                {"signal": "健康损害", "code": "health", "evidence": ["拉肚子", "去医院"]},
                {"signal": "媒体曝光", "code": "media", "evidence": ["发到微博上"]},
            ],
            "audience": ["supervisor"],
        }
    )
    lines = {line.label: line.value for line in message.lines}
    assert lines["Phone"] == "138****5678"
    assert lines["Risk signals"] == "健康损害: “拉肚子”, “去医院”; 媒体曝光: “发到微博上”"
    assert "audience" not in message.text


def test_the_one_line_risk_reason_shows_when_there_is_no_list_of_signals():
    message = render(extra={"risk_reason": "媒体曝光: “发到微博上”", "risk_reasons": []})
    assert ("Risk signals", "媒体曝光: “发到微博上”") in [
        (ln.label, ln.value) for ln in message.lines
    ]


@pytest.mark.parametrize(
    "written",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138-1234-5678",
        "１３８１２３４５６７８",
        "１３８　１２３４　５６７８",
        "+86１３８－１２３４－５６７８",
    ],
)
def test_a_mobile_number_however_written_is_masked(written):
    message = render(title=f"顾客{written}投诉", extra={"masked_phone": written})
    everything = message.text + str(message.payload)
    assert "1234" not in everything
    assert "１２３４" not in everything
    assert "Title: 顾客138****5678投诉" in message.text
    assert "Phone: 138****5678" in message.text


@pytest.mark.parametrize("text", ["订单 20261381234567890", "1381234567", "电话 010-8123-4567"])
def test_other_numbers_are_left_alone(text):
    assert render(title=text).payload["title"] == text
