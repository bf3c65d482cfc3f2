"""Fixed vectors, computed independently with `openssl dgst -sha256 -hmac ...`."""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from notifications.channels import dingtalk, feishu, webhook


def test_dingtalk_signature_matches_the_fixed_vector():
    signature = dingtalk.sign(secret="SEC0123456789abcdef", timestamp_ms=1700000000000)
    assert signature == "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="


def test_dingtalk_signed_url_carries_millisecond_timestamp_and_url_encoded_sign():
    now = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # 1700000000 s
    url = dingtalk.signed_url(
        url="https://oapi.dingtalk.com/robot/send?access_token=abc",
        secret="SEC0123456789abcdef",
        now=now,
    )
    assert "sign=TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D" in url
    assert parse_qs(urlsplit(url).query) == {
        "access_token": ["abc"],
        "timestamp": ["1700000000000"],
        "sign": ["TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="],
    }


def test_feishu_signature_uses_timestamp_and_secret_as_key_and_an_empty_message():
    signature = feishu.sign(secret="feishu-secret", timestamp_s=1700000000)
    assert signature == "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="


def test_webhook_signature_is_hex_hmac_of_timestamp_dot_body():
    signature = webhook.sign(secret="whsec", timestamp="1700000000", body=b'{"kind":"test"}')
    assert signature == "sha256=1e376740a99dded1023b20b0edba00f1f6b6f88f77f9b26a61e73012aebe6ca5"


def test_webhook_body_is_signed_exactly_as_sent():
    from notifications.channels import Destination
    from notifications.messages import Message

    now = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    message = Message(kind="test", title="t", lines=(), payload={"kind": "test", "case": ""})
    body, headers = webhook.request_parts(
        destination=Destination(kind="webhook", url="http://x", secret="whsec"),
        message=message,
        now=now,
    )
    assert headers["X-Alert-Timestamp"] == "1700000000"
    assert headers["X-Alert-Signature"] == webhook.sign(
        secret="whsec", timestamp="1700000000", body=body
    )
    assert json.loads(body)["sent_at"] == "2023-11-14T22:13:20+00:00"
