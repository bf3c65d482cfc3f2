import pytest

from notifications.forms import ChannelForm
from notifications.models import Channel, Notification, Route
from notifications.services import alert_dispatch
from tests.notifications.factories import AlertFactory, ChannelFactory, RouteFactory

pytestmark = pytest.mark.django_db

TOKEN = "tok-3f9a2c7e5b1d4e8f"
SECRET = "SECabcdef0123456789"


def channel_form(**overrides):
    data = {
        "name": "duty-ding",
        "kind": "dingtalk",
        "is_active": "on",
        "new_url": f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}",
        "new_secret": SECRET,
        "recipients": "",
        "keyword": "",
        "use_markdown": "on",
        "language": "",
        "rate_limit_per_minute": "",
        "rate_limit_per_second": "",
    }
    return {**data, **overrides}


def test_channel_credentials_are_saved_but_never_shown_again(admin_client):
    response = admin_client.post("/admin/notifications/channel/add/", channel_form())
    assert response.status_code == 302
    channel = Channel.objects.get(name="duty-ding")
    assert (channel.url.endswith(TOKEN), channel.secret) == (True, SECRET)

    change_page = admin_client.get(f"/admin/notifications/channel/{channel.pk}/change/")
    list_page = admin_client.get("/admin/notifications/channel/")
    for page in (change_page, list_page):
        html = page.content.decode()
        assert TOKEN not in html
        assert SECRET not in html
    assert "https://oapi.dingtalk.com/…" in list_page.content.decode()


def test_saving_with_empty_credential_fields_keeps_them(admin_client):
    admin_client.post("/admin/notifications/channel/add/", channel_form())
    channel = Channel.objects.get(name="duty-ding")
    response = admin_client.post(
        f"/admin/notifications/channel/{channel.pk}/change/",
        channel_form(new_url="", new_secret="", keyword="[告警]"),
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.url.endswith(TOKEN), channel.secret, channel.keyword) == (
        True,
        SECRET,
        "[告警]",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"new_url": "not a url"}, "Give the full http(s) webhook URL."),
        ({"new_url": ""}, "A webhook URL is required."),
        ({"kind": "email", "recipients": ""}, "An email channel needs at least one address."),
        ({"kind": "email", "recipients": "a@example.com, nope"}, "Not an email address: nope"),
    ],
)
def test_bad_channel_input_is_a_form_error(admin_client, overrides, message):
    response = admin_client.post("/admin/notifications/channel/add/", channel_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Channel.objects.exists()


def test_send_test_message_action_shows_the_vendors_answer(admin_client, receiver):
    receiver.answer_next(200, {"errcode": 0, "errmsg": "ok"})
    receiver.answer_next(200, {"errcode": 310000, "errmsg": "keywords not in content"})
    ok = ChannelFactory(
        name="a-ok", kind="dingtalk", url=receiver.url("/robot/send?access_token=1")
    )
    bad = ChannelFactory(
        name="b-bad", kind="dingtalk", url=receiver.url("/robot/send?access_token=2")
    )

    response = admin_client.post(
        "/admin/notifications/channel/",
        {"action": "send_test_message", "_selected_action": [ok.pk, bad.pk]},
        follow=True,
    )

    shown = [str(m) for m in response.context["messages"]]
    assert shown == [
        'a-ok: sent. The vendor answered: {"errcode": 0, "errmsg": "ok"}',
        "b-bad: failed: Vendor error 310000: keywords not in content. The vendor answered: "
        '{"errcode": 310000, "errmsg": "keywords not in content"}',
    ]
    assert len(receiver.requests) == 2


def test_delivery_log_filters_by_status_channel_and_kind(admin_client):
    one, two = ChannelFactory(name="one"), ChannelFactory(name="two")
    RouteFactory(kinds=["sla_breach", "case_red"], channels=[one, two])
    alert_dispatch(alert=AlertFactory(kind="sla_breach", case_number="KS-20260101-0001"))
    alert_dispatch(alert=AlertFactory(kind="case_red", case_number="KS-20260101-0002"))
    Notification.objects.filter(channel=one, kind="case_red").update(status="failed")

    def listed(query):
        page = admin_client.get(f"/admin/notifications/notification/?{query}")
        assert page.status_code == 200
        return page.context["cl"].result_count

    assert listed("") == 4
    assert listed("status__exact=failed") == 1
    assert listed(f"channel__id__exact={two.pk}") == 2
    assert listed("kind__exact=case_red") == 2
    assert listed("q=KS-20260101-0002") == 2


def test_retry_action_requeues_failed_rows_only(
    client, supervisor, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        "notifications.tasks.notification_deliver_task.delay", lambda pk: queued.append(pk)
    )
    RouteFactory(channels=[ChannelFactory(name="one"), ChannelFactory(name="two")])
    failed, pending = alert_dispatch(alert=AlertFactory())
    Notification.objects.filter(pk=failed.pk).update(status="failed", last_error="down")
    client.force_login(supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/notifications/notification/",
            {"action": "retry", "_selected_action": [failed.pk, pending.pk]},
            follow=True,
        )

    shown = [str(m) for m in response.context["messages"]]
    assert shown[0] == "1 notification queued again."
    assert "Only failed notifications can be retried." in shown[1]
    assert queued == [failed.pk]
    failed.refresh_from_db()
    assert failed.status == "pending"


def test_supervisor_reads_the_log_but_cannot_change_channels(client, supervisor):
    client.force_login(supervisor)
    assert client.get("/admin/notifications/notification/").status_code == 200
    assert client.get("/admin/notifications/channel/add/").status_code == 403


def test_store_staff_cannot_see_the_delivery_log(client, store_staff):
    store_staff.is_staff = True
    store_staff.save()
    client.force_login(store_staff)
    assert client.get("/admin/notifications/notification/").status_code == 403


def test_route_form_refuses_unknown_stores_users_and_routes_without_targets(admin_client, store):
    base = {"name": "r", "kinds": ["case_red"], "is_active": "on", "escalation_levels": ""}
    cases = [
        ({"store_codes": "SH001, NOPE", "roles": ["supervisor"]}, "Unknown store codes: NOPE"),
        ({"usernames": "ghost", "roles": ["supervisor"]}, "Unknown users: ghost"),
        ({"escalation_levels": "one", "roles": ["supervisor"]}, "Not a level number: one"),
        ({}, "Choose channels, roles or users to send to."),
    ]
    for extra, message in cases:
        response = admin_client.post("/admin/notifications/route/add/", {**base, **extra})
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Route.objects.exists()


def test_route_form_saves_lists(admin_client, store):
    channel = ChannelFactory(name="duty")
    response = admin_client.post(
        "/admin/notifications/route/add/",
        {
            "name": "red-east",
            "kinds": ["case_red", "sla_breach"],
            "risk_levels": ["red"],
            "store_codes": "SH001",
            "regions": "华东, 华北",
            "escalation_levels": "2, 1",
            "channels": [channel.pk],
            "roles": ["supervisor"],
            "usernames": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    route = Route.objects.get(name="red-east")
    assert (route.kinds, route.store_codes, route.regions, route.escalation_levels) == (
        ["case_red", "sla_breach"],
        ["SH001"],
        ["华东", "华北"],
        [1, 2],
    )
    assert list(route.channels.all()) == [channel]


def test_a_log_entry_shows_the_vendors_answer_and_cannot_be_edited(admin_client):
    RouteFactory(channels=[ChannelFactory(name="one")])
    [row] = alert_dispatch(alert=AlertFactory())
    Notification.objects.filter(pk=row.pk).update(
        status="failed", response='{"errcode": 93000}', last_error="Vendor error 93000: bad key"
    )
    page = admin_client.get(f"/admin/notifications/notification/{row.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Vendor error 93000: bad key" in html
    assert "errcode" in html
    assert 'name="_save"' not in html


def test_saving_a_channel_keeps_sends_recorded_while_the_form_was_submitted(
    admin_client, monkeypatch
):
    admin_client.post("/admin/notifications/channel/add/", channel_form())
    channel = Channel.objects.get(name="duty-ding")
    original_clean = ChannelForm.clean

    def clean_while_a_worker_sends(form):
        # a worker takes a rate-limit slot after the admin loaded the row, before it saves
        Channel.objects.filter(pk=channel.pk).update(recent_sends=[1767225600.0])
        return original_clean(form)

    monkeypatch.setattr(ChannelForm, "clean", clean_while_a_worker_sends)
    response = admin_client.post(
        f"/admin/notifications/channel/{channel.pk}/change/",
        channel_form(new_url="", new_secret="", keyword="[告警]"),
    )

    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.keyword, channel.recent_sends) == ("[告警]", [1767225600.0])
    assert channel.url.endswith(TOKEN)


def test_editing_a_channel_or_route_from_the_config_file_warns_it_will_be_overwritten(
    admin_client,
):
    managed = ChannelFactory(name="from-file", managed_by_config=True)
    own = ChannelFactory(name="from-admin")
    route = RouteFactory(roles=["supervisor"], managed_by_config=True)
    warning = "the next load_alert_config overwrites changes made here"

    pages = {
        "managed channel": f"/admin/notifications/channel/{managed.pk}/change/",
        "admin channel": f"/admin/notifications/channel/{own.pk}/change/",
        "managed route": f"/admin/notifications/route/{route.pk}/change/",
    }
    shown = {name: warning in admin_client.get(url).content.decode() for name, url in pages.items()}

    assert shown == {"managed channel": True, "admin channel": False, "managed route": True}


def test_channel_credentials_cannot_be_probed_with_admin_filters(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="boss", roles=["manager"]))
    assert client.get("/admin/notifications/channel/?secret__startswith=S").status_code == 400
    assert client.get("/admin/notifications/channel/?url__contains=token").status_code == 400


def test_a_re_encoded_token_is_redacted_too():
    from notifications.redaction import redact

    url = "https://qyapi.example.com/send?key=we|comtok^en"
    text = "failed: https://qyapi.example.com/send?key=we%7Ccomtok%5Een"
    assert "comtok" not in redact(text, secrets=[url])
