"""Each adapter against a receiver on 127.0.0.1: the exact request, and how answers are read."""

import json
from datetime import UTC, datetime

import pytest
from django.utils import translation

from notifications.channels import Destination, dingtalk, feishu, get_adapter, webhook
from notifications.limits import byte_len
from notifications.messages import Line, Message

NOW = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # 1700000000

MESSAGE = Message(
    kind="sla_breach",
    title="SLA breached for KS-1",
    lines=(Line("Case", "KS-1"), Line("Risk level", "Red")),
    link="http://desk.example/admin/cases/case/1/change/",
    link_label="Open the case",
    risk_level="red",
    payload={"kind": "sla_breach", "case": "KS-1", "risk_level": "red", "title": "t", "text": "x"},
)


def send(kind, receiver, path="/hook", **destination):
    result = get_adapter(kind).send(
        destination=Destination(kind=kind, url=receiver.url(path), **destination),
        message=MESSAGE,
        now=NOW,
    )
    return result, receiver.requests[-1]


def test_dingtalk_markdown_payload_and_signature_in_the_url(receiver):
    result, request = send(
        "dingtalk", receiver, "/robot/send?access_token=tok", secret="SEC0123456789abcdef"
    )
    assert result.ok
    assert request.query == {
        "access_token": ["tok"],
        "timestamp": ["1700000000000"],
        "sign": [dingtalk.sign(secret="SEC0123456789abcdef", timestamp_ms=1700000000000)],
    }
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "title": "SLA breached for KS-1",
            "text": "### SLA breached for KS-1\n\n- **Case**: KS-1\n- **Risk level**: Red\n\n"
            "[Open the case](http://desk.example/admin/cases/case/1/change/)",
        },
        "at": {"atMobiles": [], "isAtAll": False},
    }


def test_dingtalk_text_payload_starts_with_the_required_keyword(receiver):
    result, request = send("dingtalk", receiver, use_markdown=False, keyword="[告警]")
    assert result.ok
    assert request.json["msgtype"] == "text"
    assert request.json["text"]["content"].startswith("[告警] SLA breached for KS-1\n")
    assert "sign" not in request.query


def test_dingtalk_error_code_in_a_200_answer_is_a_failure(receiver):
    receiver.answer(200, {"errcode": 130101, "errmsg": "send too fast"})
    result, _ = send("dingtalk", receiver)
    assert not result.ok
    assert result.status_code == 200
    assert "130101" in result.error
    assert "send too fast" in result.answer


def test_wecom_markdown_payload_with_colour(receiver):
    result, request = send("wecom", receiver, "/cgi-bin/webhook/send?key=k")
    assert result.ok
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**SLA breached for KS-1**\n"
            '> Case: <font color="warning">KS-1</font>\n'
            '> Risk level: <font color="warning">Red</font>\n'
            "[Open the case](http://desk.example/admin/cases/case/1/change/)"
        },
    }


def test_wecom_markdown_is_cut_to_4096_bytes(receiver):
    long = Message(
        kind="digest",
        title="标题",
        lines=tuple(Line(f"第{i}条", "酸奶有异味" * 20) for i in range(100)),
        link="http://desk.example/x",
        link_label="打开",
    )
    get_adapter("wecom").send(
        destination=Destination(kind="wecom", url=receiver.url("/w")), message=long, now=NOW
    )
    content = receiver.requests[-1].json["markdown"]["content"]
    assert byte_len(content) <= 4096
    assert content.endswith("[打开](http://desk.example/x)")
    assert "more lines" in content


def test_wecom_text_is_cut_to_2048_bytes(receiver):
    long = Message(kind="test", title="酸奶" * 2000, lines=())
    get_adapter("wecom").send(
        destination=Destination(kind="wecom", url=receiver.url("/w"), use_markdown=False),
        message=long,
        now=NOW,
    )
    assert byte_len(receiver.requests[-1].json["text"]["content"]) <= 2048


def test_feishu_post_payload_with_signature_in_the_body(receiver):
    receiver.answer(200, {"code": 0, "msg": "success"})
    with translation.override("zh-hans"):
        result, request = send(
            "feishu", receiver, "/open-apis/bot/v2/hook/uuid", secret="feishu-secret"
        )
    assert result.ok
    assert request.json == {
        "timestamp": "1700000000",
        "sign": feishu.sign(secret="feishu-secret", timestamp_s=1700000000),
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "SLA breached for KS-1",
                    "content": [
                        [{"tag": "text", "text": "Case: KS-1"}],
                        [{"tag": "text", "text": "Risk level: Red"}],
                        [
                            {
                                "tag": "a",
                                "text": "Open the case",
                                "href": "http://desk.example/admin/cases/case/1/change/",
                            }
                        ],
                    ],
                }
            }
        },
    }


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ({"code": 0, "msg": "success"}, True),
        ({"StatusCode": 0, "StatusMessage": "success"}, True),
        ({"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, False),
    ],
)
def test_feishu_answer_codes(receiver, answer, ok):
    receiver.answer(200, answer)
    result, _ = send("feishu", receiver, use_markdown=False)
    assert result.ok is ok
    assert receiver.requests[-1].json["msg_type"] == "text"


def test_slack_blocks_payload_and_plain_ok_answer(receiver):
    receiver.answer(200, b"ok")
    result, request = send("slack", receiver, "/services/T/B/X")
    assert result.ok
    assert result.answer == "ok"
    assert request.json == {
        "text": "SLA breached for KS-1",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*SLA breached for KS-1*\n• *Case*: KS-1\n• *Risk level*: Red\n"
                    "<http://desk.example/admin/cases/case/1/change/|Open the case>",
                },
            }
        ],
    }


def test_slack_error_status_is_a_failure_with_the_answer(receiver):
    receiver.answer(404, b"no_service")
    result, _ = send("slack", receiver)
    assert not result.ok
    assert result.answer == "no_service"
    assert "404" in result.error


def test_webhook_posts_json_with_a_verifiable_signature(receiver):
    receiver.answer(204, b"")
    result, request = send("webhook", receiver, secret="whsec", alert_key="sla:1:breach")
    assert result.ok
    timestamp = request.headers["X-Alert-Timestamp"]
    assert timestamp == "1700000000"
    assert request.headers["X-Alert-Signature"] == webhook.sign(
        secret="whsec", timestamp=timestamp, body=request.body
    )
    assert request.headers["X-Alert-Key"] == "sla:1:breach"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(request.body) == {**MESSAGE.payload, "sent_at": "2023-11-14T22:13:20+00:00"}


def test_webhook_without_secret_sends_no_signature(receiver):
    _, request = send("webhook", receiver)
    assert "X-Alert-Signature" not in request.headers


def test_a_receiver_that_is_down_gives_an_error_without_the_token():
    from tests.support.receiver import Receiver

    url = Receiver.down_url("/robot/send?access_token=very-secret-token")
    result = get_adapter("dingtalk").send(
        destination=Destination(kind="dingtalk", url=url), message=MESSAGE, now=NOW
    )
    assert not result.ok
    assert "ConnectionError" in result.error
    assert "very-secret-token" not in result.error


def test_an_answer_echoing_the_token_is_redacted(receiver):
    receiver.answer(200, {"errcode": 300001, "errmsg": "token very-secret-token is invalid"})
    result, _ = send("dingtalk", receiver, "/robot/send?access_token=very-secret-token")
    assert "very-secret-token" not in result.answer + result.error
    assert "***" in result.answer
