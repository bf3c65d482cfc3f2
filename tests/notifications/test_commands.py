import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from notifications.channels import dingtalk
from notifications.models import Channel, Route
from tests.factories import StoreFactory
from tests.notifications.factories import ChannelFactory
from tests.support.receiver import Receiver

pytestmark = pytest.mark.django_db

EXAMPLE = """
channels:
  - name: duty-dingtalk
    kind: dingtalk            # email | dingtalk | wecom | feishu | slack | webhook
    url: https://oapi.dingtalk.com/robot/send?access_token=XXXX
    secret_env: DUTY_DINGTALK_SECRET   # or `secret:` inline
  - name: supervisors-mail
    kind: email
    to: [duty@example.com]
routes:
  - kinds: [case_red, sla_warning, sla_breach, escalation]
    risk_levels: [red, yellow, blue]   # optional filter; also stores / regions / levels
    channels: [duty-dingtalk, supervisors-mail]
"""


def load(tmp_path, text, *args, name="alerts.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("load_alert_config", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot():
    return [
        (c.name, c.kind, c.url, c.secret, c.recipients, c.updated_at)
        for c in Channel.objects.order_by("name")
    ] + [
        (
            r.name,
            r.kinds,
            r.risk_levels,
            sorted(r.channels.values_list("name", flat=True)),
            r.updated_at,
        )
        for r in Route.objects.order_by("name")
    ]


def test_the_documented_example_loads_and_loading_twice_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DUTY_DINGTALK_SECRET", "SECfromenv")

    first = load(tmp_path, EXAMPLE)
    before = snapshot()
    second = load(tmp_path, EXAMPLE)

    assert "3 created, 0 updated, 0 unchanged" in first
    assert "0 created, 0 updated, 3 unchanged" in second
    assert snapshot() == before
    ding = Channel.objects.get(name="duty-dingtalk")
    assert (ding.secret, ding.managed_by_config) == ("SECfromenv", True)
    assert Channel.objects.get(name="supervisors-mail").recipients == ["duty@example.com"]
    route = Route.objects.get(name="route-1")
    assert route.kinds == ["case_red", "escalation", "sla_breach", "sla_warning"]
    assert sorted(route.channels.values_list("name", flat=True)) == [
        "duty-dingtalk",
        "supervisors-mail",
    ]
    assert "SECfromenv" not in first + second
    assert "XXXX" not in first + second


def test_json_works_too_and_a_change_updates_only_what_changed(tmp_path):
    data = {
        "channels": [
            {"name": "hook", "kind": "webhook", "url": "https://example.com/h", "secret": "s1"}
        ],
        "routes": [{"name": "all-red", "kinds": ["case_red"], "channels": ["hook"]}],
    }
    load(tmp_path, json.dumps(data), name="alerts.json")
    data["channels"][0]["secret"] = "s2"
    out = load(tmp_path, json.dumps(data), name="alerts.json")
    assert "0 created, 1 updated, 1 unchanged" in out
    assert Channel.objects.get(name="hook").secret == "s2"


def test_prune_removes_what_the_file_no_longer_has(tmp_path):
    load(tmp_path, EXAMPLE.replace("secret_env: DUTY_DINGTALK_SECRET", "secret: x"))
    ChannelFactory(name="made-in-admin")
    out = load(
        tmp_path,
        "channels:\n  - {name: hook, kind: webhook, url: 'https://example.com/h'}\n",
        "--prune",
    )
    assert "deleted route route-1" in out
    assert sorted(Channel.objects.values_list("name", flat=True)) == ["hook", "made-in-admin"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            EXAMPLE,
            "channels[0].secret_env: The environment variable DUTY_DINGTALK_SECRET is not set.",
        ),
        (
            "channels:\n  - {name: x, kind: pager, url: 'https://e.com'}\n",
            "channels[0].kind: Unknown kind",
        ),
        (
            "channels:\n  - {name: x, kind: wecom, url: 'not-a-url?key=SEKRIT'}\n",
            "channels[0].url: Give the full http(s) webhook URL.",
        ),
        (
            "routes:\n  - {kinds: [case_red], channels: [nowhere]}\n",
            "routes[0].channels: No channel named nowhere",
        ),
        (
            "routes:\n  - {kinds: [nope], roles: [supervisor]}\n",
            "routes[0].kinds: Unknown alert kind: nope",
        ),
        ("routes:\n  - {kinds: [case_red], roles: [king]}\n", "routes[0].roles: Unknown role king"),
        ("routes:\n  - {kinds: [case_red]}\n", "routes[0]: A route needs channels, roles or users"),
        (
            "routes:\n  - {kinds: [case_red], roles: [supervisor], levels: [one]}\n",
            "routes[0].levels: Give escalation levels",
        ),
        ("channels: [\n", "Not valid YAML/JSON"),
        ("- just\n- a list\n", "The file must hold a mapping"),
    ],
)
def test_bad_config_is_refused_with_a_clear_message_and_nothing_saved(
    tmp_path, monkeypatch, text, expected
):
    monkeypatch.delenv("DUTY_DINGTALK_SECRET", raising=False)
    with pytest.raises(CommandError) as raised:
        load(tmp_path, text)
    assert expected in str(raised.value)
    assert "SEKRIT" not in str(raised.value)
    assert not Channel.objects.exists()
    assert not Route.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_alert_config", str(tmp_path / "missing.yaml"))


def test_notify_test_through_a_saved_channel_prints_the_vendors_answer(receiver):
    ChannelFactory(name="duty", kind="dingtalk", url=receiver.url("/robot/send?access_token=t"))
    out = StringIO()
    call_command("notify_test", "--channel", "duty", stdout=out)
    assert '{"errcode": 0, "errmsg": "ok"}' in out.getvalue()
    assert receiver.requests[0].json["msgtype"] == "markdown"


def test_notify_test_ad_hoc_target_is_signed_and_not_saved(receiver):
    out = StringIO()
    call_command(
        "notify_test",
        "--kind",
        "dingtalk",
        "--url",
        receiver.url("/robot/send?access_token=t"),
        "--secret",
        "SECx",
        stdout=out,
    )
    [request] = receiver.requests
    timestamp = int(request.query["timestamp"][0])
    assert request.query["sign"] == [dingtalk.sign(secret="SECx", timestamp_ms=timestamp)]
    assert not Channel.objects.exists()


def test_notify_test_fails_when_the_vendor_answers_with_an_error(receiver):
    receiver.answer(200, {"errcode": 310000, "errmsg": "sign not match"})
    out = StringIO()
    with pytest.raises(CommandError, match="Vendor error 310000"):
        call_command("notify_test", "--kind", "dingtalk", "--url", receiver.url("/r"), stdout=out)
    assert "sign not match" in out.getvalue()


def test_notify_test_email_goes_through_smtp(smtp_settings):
    call_command("notify_test", "--kind", "email", "--to", "ops@example.com", stdout=StringIO())
    assert [e.rcpt_tos for e in smtp_settings.envelopes] == [["ops@example.com"]]


@pytest.mark.parametrize(
    "args",
    [[], ["--channel", "nope"], ["--kind", "slack"], ["--kind", "email"]],
)
def test_notify_test_refuses_incomplete_arguments(args):
    with pytest.raises(CommandError):
        call_command("notify_test", *args, stdout=StringIO())


def test_notify_test_exits_non_zero_when_the_receiver_is_down():
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "notify_test",
            "--kind",
            "webhook",
            "--url",
            Receiver.down_url("/hook"),
        ],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "LANGUAGE_CODE": "en",
        },
    )
    assert completed.returncode == 1
    assert "ConnectionError" in completed.stderr


def test_the_example_in_docs_alerts_md_loads(tmp_path, monkeypatch):
    docs = (Path(settings.BASE_DIR) / "docs" / "alerts.md").read_text(encoding="utf-8")
    example = docs.split("```yaml\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("DUTY_DINGTALK_SECRET", "s1")
    monkeypatch.setenv("EAST_WECOM_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    monkeypatch.setenv("OPS_WEBHOOK_SECRET", "s2")
    StoreFactory(code="SH001")
    StoreFactory(code="SH002")

    out = load(tmp_path, example)

    assert "8 created, 0 updated, 0 unchanged" in out
    assert Route.objects.get(name="level-2-escalations").escalation_levels == [2, 3]
    assert Channel.objects.get(name="east-wecom").url.endswith("key=k")


HOOK = "url: 'https://e.com/h'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"channels:\n  - {{name: [a], kind: webhook, {HOOK}}}\n", "channels[0].name: Give a name"),
        (
            "channels:\n  - {name: a, kind: webhook, url_env: [X]}\n",
            "channels[0].url_env: Give the",
        ),
        (
            f"channels:\n  - {{name: a, kind: webhook, {HOOK}, secret_env: [X]}}\n",
            "channels[0].secret_env: Give the name of an environment variable.",
        ),
        (
            f"channels:\n  - {{name: a, kind: webhook, {HOOK}, keyword: '{'k' * 65}'}}\n",
            "channels[0].keyword: At most 64 characters",
        ),
        (
            f"channels:\n  - {{name: {'a' * 65}, kind: webhook, {HOOK}}}\n",
            "channels[0].name: At most 64 characters.",
        ),
        (
            "channels:\n  - {name: a, kind: webhook, url: 'https://e.com/" + "x" * 1000 + "'}\n",
            "channels[0].url: At most 1000 characters",
        ),
        (
            f"channels:\n  - {{name: a, kind: webhook, {HOOK}, secret: [s]}}\n",
            "channels[0].secret: Give a text value.",
        ),
        (
            f"channels:\n  - {{name: a, kind: webhook, {HOOK}, rate_limit_per_minute: 99999999999}}\n",
            "channels[0].rate_limit_per_minute: Give a whole number from 0 to 2147483647.",
        ),
        (
            f"channels:\n  - {{name: a, kind: [webhook], {HOOK}}}\n",
            "channels[0].kind: Unknown kind",
        ),
        (
            f"routes:\n  - {{name: {'r' * 101}, kinds: [case_red], roles: [supervisor]}}\n",
            "routes[0].name: At most 100 characters.",
        ),
        (
            "routes:\n  - {name: [x], kinds: [case_red], roles: [supervisor]}\n",
            "routes[0].name: Give a text name.",
        ),
        (
            "routes:\n  - {kinds: [case_red], roles: [supervisor], stores: [SH001, NOPE9]}\n",
            "routes[0].stores: Unknown store codes: NOPE9",
        ),
        ("1: one\nchannels: []\n", "1: Unknown key."),
    ],
)
def test_malformed_values_are_refused_with_their_place_in_the_file(tmp_path, store, text, expected):
    with pytest.raises(CommandError) as raised:
        load(tmp_path, text)
    assert expected in str(raised.value)
    assert not Channel.objects.exists()
    assert not Route.objects.exists()


def test_a_route_may_name_known_stores(tmp_path, store):
    load(tmp_path, "routes:\n  - {kinds: [case_red], roles: [supervisor], stores: [SH001]}\n")
    assert Route.objects.get().store_codes == ["SH001"]


def test_a_numeric_inline_secret_is_kept_as_text(tmp_path):
    load(tmp_path, f"channels:\n  - {{name: a, kind: webhook, {HOOK}, secret: 123456}}\n")
    assert Channel.objects.get().secret == "123456"
