import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import Retry

from core.exceptions import Conflict, NotPermitted
from notifications.models import Channel, Notification
from notifications.services import (
    alert_dispatch,
    notification_deliver,
    notification_requeue_due,
    notification_retry,
)
from notifications.services.delivery import DIGEST_CAPACITY
from notifications.tasks import notification_deliver_task
from tests.factories import UserFactory
from tests.notifications.factories import AlertFactory, ChannelFactory, RouteFactory
from tests.support.receiver import Receiver

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)


def dispatch_to(channel, **alert_fields):
    RouteFactory(channels=[channel])
    return alert_dispatch(alert=AlertFactory(**alert_fields), now=NOW)


def test_a_dispatched_alert_is_delivered_and_logged_as_sent(receiver):
    channel = ChannelFactory(name="hook", kind="webhook", url=receiver.url("/alerts"))
    [row] = dispatch_to(channel, case_number="KS-20260101-0001", dedupe_key="sla:1:breach")

    outcome = notification_deliver(notification_id=row.pk, now=NOW)

    row.refresh_from_db()
    assert outcome.status == "sent"
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, NOW)
    [request] = receiver.requests
    assert request.json["case"] == "KS-20260101-0001"
    assert request.headers["X-Alert-Key"] == "sla:1:breach"


def test_dispatch_then_commit_delivers_through_the_task(
    receiver, eager_tasks, django_capture_on_commit_callbacks
):
    channel = ChannelFactory(name="hook", kind="webhook", url=receiver.url("/alerts"))
    RouteFactory(channels=[channel])
    with django_capture_on_commit_callbacks(execute=True):
        [row] = alert_dispatch(alert=AlertFactory(case_number="KS-20260101-0002"))
    row.refresh_from_db()
    assert row.status == "sent"
    assert [r.json["case"] for r in receiver.requests] == ["KS-20260101-0002"]


def test_same_alert_dispatched_twice_is_delivered_once(
    receiver, eager_tasks, django_capture_on_commit_callbacks
):
    channel = ChannelFactory(name="hook", kind="webhook", url=receiver.url("/alerts"))
    RouteFactory(channels=[channel])
    alert = AlertFactory(dedupe_key="sla:7:warning:15")
    with django_capture_on_commit_callbacks(execute=True):
        alert_dispatch(alert=alert)
        alert_dispatch(alert=alert)
    with django_capture_on_commit_callbacks(execute=True):
        alert_dispatch(alert=alert)
    assert len(receiver.requests) == 1


def test_a_second_task_message_for_the_same_row_sends_nothing(receiver):
    channel = ChannelFactory(name="hook", kind="webhook", url=receiver.url("/alerts"))
    [row] = dispatch_to(channel)
    notification_deliver(notification_id=row.pk, now=NOW)
    outcome = notification_deliver(notification_id=row.pk, now=NOW)
    assert outcome.status == "skipped"
    assert len(receiver.requests) == 1


def test_a_deleted_row_is_skipped_quietly():
    assert notification_deliver(notification_id=987654, now=NOW).status == "skipped"


def test_a_dingtalk_error_is_retried_with_exponential_backoff(receiver, settings):
    settings.NOTIFICATIONS_RETRY_BACKOFF = 5.0
    receiver.answer(200, {"errcode": -1, "errmsg": "system busy"})
    channel = ChannelFactory(name="ding", kind="dingtalk", url=receiver.url("/robot/send"))
    [row] = dispatch_to(channel)

    first = notification_deliver(notification_id=row.pk, now=NOW)
    early = notification_deliver(notification_id=row.pk, now=NOW + timedelta(seconds=3))
    second = notification_deliver(notification_id=row.pk, now=NOW + timedelta(seconds=5))
    row.refresh_from_db()

    assert (first.status, first.retry_in) == ("retrying", 5.0)
    assert early.status == "skipped"
    assert (second.status, second.retry_in) == ("retrying", 10.0)
    assert row.attempts == 2
    assert row.next_attempt_at == NOW + timedelta(seconds=15)
    assert "system busy" in row.last_error
    assert len(receiver.requests) == 2

    receiver.answer(200, {"errcode": 0, "errmsg": "ok"})
    assert notification_deliver(notification_id=row.pk, now=row.next_attempt_at).status == "sent"


def test_a_receiver_that_is_down_is_retried_then_failed_and_visible_in_the_admin(
    fast_retries, admin_client
):
    channel = ChannelFactory(name="down", kind="wecom", url=Receiver.down_url("/send?key=k"))
    [row] = dispatch_to(channel, case_number="KS-20260101-0099")

    outcomes = []
    for _ in range(fast_retries.NOTIFICATIONS_MAX_ATTEMPTS):
        row.refresh_from_db()
        outcomes.append(notification_deliver(notification_id=row.pk, now=row.next_attempt_at))
    row.refresh_from_db()

    assert [o.status for o in outcomes] == ["retrying", "retrying", "failed"]
    assert [o.retry_in for o in outcomes] == [2.0, 4.0, None]
    assert (row.status, row.attempts) == ("failed", 3)
    assert "ConnectionError" in row.last_error
    page = admin_client.get("/admin/notifications/notification/?status__exact=failed")
    assert page.status_code == 200
    assert "KS-20260101-0099" in page.content.decode()
    assert "ConnectionError" in page.content.decode()


def test_the_task_asks_celery_to_retry_after_a_failed_attempt(receiver):
    receiver.answer(500, b"internal error")
    channel = ChannelFactory(name="hook", kind="webhook", url=receiver.url("/alerts"))
    [row] = dispatch_to(channel)
    with pytest.raises(Retry):
        notification_deliver_task(row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("retrying", 1)
    assert "HTTP 500" in row.last_error


def test_over_the_robot_rate_limit_alerts_wait_and_go_out_as_one_digest(receiver):
    channel = ChannelFactory(
        name="ding",
        kind="dingtalk",
        url=receiver.url("/robot/send"),
        rate_limit_per_minute=2,
    )
    RouteFactory(channels=[channel])
    rows = [alert_dispatch(alert=AlertFactory(), now=NOW)[0] for _ in range(5)]

    outcomes = [notification_deliver(notification_id=r.pk, now=NOW) for r in rows]
    assert [o.status for o in outcomes] == ["sent", "sent", "deferred", "deferred", "deferred"]
    # a send counts from when it finished: 60 s + the margin + the (short) time the send took
    assert outcomes[2].retry_in == pytest.approx(60.05, abs=0.5)

    later = NOW + timedelta(seconds=61)
    digest = notification_deliver(notification_id=rows[3].pk, now=later)
    leftovers = [notification_deliver(notification_id=r.pk, now=later) for r in rows[2:]]

    assert (digest.status, digest.merged) == ("sent", 2)
    assert [o.status for o in leftovers] == ["skipped", "skipped", "skipped"]
    assert (
        list(Notification.objects.order_by("pk").values_list("status", flat=True)) == ["sent"] * 5
    )
    merged = Notification.objects.filter(merged_into=rows[3].pk)
    assert sorted(merged.values_list("pk", flat=True)) == [rows[2].pk, rows[4].pk]
    assert len(receiver.requests) == 3
    text = receiver.requests[-1].json["markdown"]["text"]
    assert "Digest of 3 alerts" in text
    assert all(r.case_number in text for r in rows[2:])


def test_a_failed_digest_fails_every_alert_in_it_with_the_reason(receiver, fast_retries):
    receiver.answer(200, {"errcode": 310000, "errmsg": "sign not match"})
    channel = ChannelFactory(
        name="ding", kind="dingtalk", url=receiver.url("/robot/send"), rate_limit_per_minute=1
    )
    RouteFactory(channels=[channel])
    first, second, third = (alert_dispatch(alert=AlertFactory(), now=NOW)[0] for _ in range(3))
    notification_deliver(notification_id=first.pk, now=NOW)
    notification_deliver(notification_id=second.pk, now=NOW)
    notification_deliver(notification_id=third.pk, now=NOW)

    at = NOW
    for _ in range(fast_retries.NOTIFICATIONS_MAX_ATTEMPTS):
        at += timedelta(seconds=61)
        notification_deliver(notification_id=second.pk, now=at)

    third.refresh_from_db()
    second.refresh_from_db()
    assert (second.status, second.attempts) == ("failed", 3)
    assert third.status == "failed"
    assert third.merged_into_id == second.pk
    assert "310000" in third.last_error


def test_email_channel_goes_through_a_real_smtp_server(smtp_settings):
    channel = ChannelFactory(
        name="mail", kind="email", url="", recipients=["duty@example.com", "boss@example.com"]
    )
    [row] = dispatch_to(channel, case_number="KS-20260101-0003", title="顾客 13812345678 投诉")

    outcome = notification_deliver(notification_id=row.pk, now=NOW)

    assert outcome.status == "sent"
    [envelope] = smtp_settings.envelopes
    assert sorted(envelope.rcpt_tos) == ["boss@example.com", "duty@example.com"]
    [message] = smtp_settings.messages
    assert "KS-20260101-0003" in message["Subject"]
    body = message.get_content()
    assert "KS-20260101-0003" in body
    assert "138****5678" in body
    assert "13812345678" not in body


def test_users_routed_by_role_get_an_email(smtp_settings):
    UserFactory(username="sup2", roles=["supervisor"], email="sup2@example.com")
    RouteFactory(roles=["supervisor"])
    [row] = alert_dispatch(alert=AlertFactory(), now=NOW)
    assert notification_deliver(notification_id=row.pk, now=NOW).status == "sent"
    assert [e.rcpt_tos for e in smtp_settings.envelopes] == [["sup2@example.com"]]


def test_smtp_server_down_is_retried(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = int(Receiver.down_url().rsplit(":", 1)[1].rstrip("/"))
    channel = ChannelFactory(name="mail", kind="email", url="", recipients=["d@example.com"])
    [row] = dispatch_to(channel)
    assert notification_deliver(notification_id=row.pk, now=NOW).status == "retrying"
    row.refresh_from_db()
    assert "ConnectionRefusedError" in row.last_error


def test_a_channel_switched_off_after_dispatch_fails_visibly():
    channel = ChannelFactory(name="hook")
    [row] = dispatch_to(channel)
    channel.is_active = False
    channel.save()
    assert notification_deliver(notification_id=row.pk, now=NOW).status == "failed"
    row.refresh_from_db()
    assert row.last_error == "The channel was deleted or switched off."


def test_sweeper_requeues_rows_whose_task_was_lost_and_sends_stuck_in_sending(monkeypatch):
    queued = []
    monkeypatch.setattr(
        "notifications.tasks.notification_deliver_task.delay", lambda pk: queued.append(pk)
    )
    channel = ChannelFactory(name="hook")
    RouteFactory(channels=[channel])
    lost = alert_dispatch(alert=AlertFactory(), now=NOW)[0]
    fresh = alert_dispatch(alert=AlertFactory(), now=NOW + timedelta(minutes=10))[0]
    stuck = alert_dispatch(alert=AlertFactory(), now=NOW)[0]
    Notification.objects.filter(pk=stuck.pk).update(status="sending", claimed_at=NOW)

    count = notification_requeue_due(now=NOW + timedelta(minutes=10))

    assert sorted(queued) == sorted([lost.pk, stuck.pk])
    assert count == 2
    assert fresh.pk not in queued


def test_a_supervisor_can_retry_a_failed_notification(
    receiver, supervisor, django_capture_on_commit_callbacks, eager_tasks
):
    channel = ChannelFactory(name="hook", url=receiver.url("/a"))
    [row] = dispatch_to(channel)
    Notification.objects.filter(pk=row.pk).update(status="failed", attempts=8, last_error="x")

    with django_capture_on_commit_callbacks(execute=True):
        notification_retry(notification=row, actor=supervisor)

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(receiver.requests) == 1


def test_retrying_is_refused_without_permission_or_for_rows_that_did_not_fail(handler, supervisor):
    [row] = dispatch_to(ChannelFactory(name="hook"))
    with pytest.raises(NotPermitted):
        notification_retry(notification=row, actor=handler)
    with pytest.raises(Conflict):
        notification_retry(notification=row, actor=supervisor)


def test_no_log_line_or_stored_error_carries_the_webhook_token(caplog, receiver):
    caplog.set_level(logging.DEBUG)
    receiver.answer(200, {"errcode": 40035, "errmsg": "invalid key very-secret-key-123"})
    up = ChannelFactory(name="up", kind="wecom", url=receiver.url("/s?key=very-secret-key-123"))
    down = ChannelFactory(
        name="down", kind="wecom", url=Receiver.down_url("/s?key=very-secret-key-123")
    )
    RouteFactory(channels=[up, down])
    rows = alert_dispatch(alert=AlertFactory(), now=NOW)
    for row in rows:
        notification_deliver(notification_id=row.pk, now=NOW)

    stored = list(Notification.objects.values_list("last_error", "response"))
    assert len(stored) == 2
    assert "very-secret-key-123" not in caplog.text
    assert "very-secret-key-123" not in str(stored)


# --- digests: no alert lost, none marked sent unseen -------------------------------------------


def statuses(*rows):
    by_pk = dict(Notification.objects.values_list("pk", "status"))
    return [by_pk[row.pk] for row in rows]


def limited_ding(receiver, **fields):
    channel = ChannelFactory(
        name="ding",
        kind="dingtalk",
        url=receiver.url("/robot/send"),
        rate_limit_per_minute=1,
        **fields,
    )
    RouteFactory(channels=[channel])
    return channel


def test_a_digest_that_takes_a_waiting_row_along_also_takes_the_rows_riding_with_it(receiver):
    limited_ding(receiver)
    a, b, c = (alert_dispatch(alert=AlertFactory(), now=NOW)[0] for _ in range(3))
    for row in (a, b, c):
        notification_deliver(notification_id=row.pk, now=NOW)  # a sent; b, c wait
    receiver.answer_next(500, b"busy")
    t1 = NOW + timedelta(seconds=61)
    assert notification_deliver(notification_id=b.pk, now=t1).merged == 1  # b+c fail together
    d = alert_dispatch(alert=AlertFactory(), now=t1)[0]
    assert notification_deliver(notification_id=d.pk, now=t1).status == "deferred"
    assert notification_deliver(notification_id=b.pk, now=t1 + timedelta(seconds=6)).status == (
        "deferred"
    )

    outcome = notification_deliver(notification_id=d.pk, now=t1 + timedelta(seconds=62))

    assert (outcome.status, outcome.merged) == ("sent", 2)
    assert statuses(a, b, c, d) == ["sent"] * 4
    text = receiver.requests[-1].json["markdown"]["text"]
    assert all(row.case_number in text for row in (b, c, d))
    assert set(Notification.objects.filter(merged_into=d).values_list("pk", flat=True)) == {
        b.pk,
        c.pk,
    }


def test_rows_of_a_failed_digest_go_out_with_it_after_the_rate_limit_is_lifted(receiver):
    channel = limited_ding(receiver)
    a, b, c = (alert_dispatch(alert=AlertFactory(), now=NOW)[0] for _ in range(3))
    for row in (a, b, c):
        notification_deliver(notification_id=row.pk, now=NOW)
    receiver.answer_next(500, b"busy")
    t1 = NOW + timedelta(seconds=61)
    notification_deliver(notification_id=b.pk, now=t1)
    Channel.objects.filter(pk=channel.pk).update(rate_limit_per_minute=0)

    outcome = notification_deliver(notification_id=b.pk, now=t1 + timedelta(seconds=10))

    assert (outcome.status, outcome.merged) == ("sent", 1)
    assert statuses(b, c) == ["sent", "sent"]
    assert c.case_number in receiver.requests[-1].json["markdown"]["text"]


def test_the_sweeper_frees_rows_left_attached_to_a_finished_digest(monkeypatch):
    queued = []
    monkeypatch.setattr(
        "notifications.tasks.notification_deliver_task.delay", lambda pk: queued.append(pk)
    )
    RouteFactory(channels=[ChannelFactory(name=n) for n in ("h1", "r1", "h2", "r2")])
    head, rider, other_head, other_rider = alert_dispatch(alert=AlertFactory(), now=NOW)
    Notification.objects.filter(pk=head.pk).update(status="sent")
    Notification.objects.filter(pk=other_head.pk).update(status="failed")
    for row, parent in ((rider, head), (other_rider, other_head)):
        Notification.objects.filter(pk=row.pk).update(status="retrying", merged_into=parent)

    notification_requeue_due(now=NOW + timedelta(minutes=5))

    assert sorted(queued) == sorted([rider.pk, other_rider.pk])
    assert not Notification.objects.filter(merged_into__isnull=False).exists()


@pytest.mark.parametrize(
    ("kind", "markdown", "content"),
    [
        ("wecom", True, lambda body: body["markdown"]["content"]),
        ("wecom", False, lambda body: body["text"]["content"]),
        ("slack", True, lambda body: body["blocks"][0]["text"]["text"]),
        ("slack", False, lambda body: body["text"]),
        ("dingtalk", True, lambda body: body["markdown"]["text"]),
        ("feishu", True, lambda body: json.dumps(body["content"], ensure_ascii=False)),
    ],
)
def test_a_full_digest_of_long_titles_shows_every_alert_it_marks_sent(
    receiver, kind, markdown, content
):
    receiver.answer(200, {"errcode": 0, "code": 0})
    channel = ChannelFactory(
        name="robot",
        kind=kind,
        url=receiver.url("/robot?key=k"),
        use_markdown=markdown,
        rate_limit_per_minute=1,
        rate_limit_per_second=0,
    )
    RouteFactory(channels=[channel])
    long_title = ("顾客反映购买的酸奶有异味并且出现腹泻症状要求赔偿" * 9)[:200]
    rows = [
        alert_dispatch(alert=AlertFactory(kind="case_red", title=long_title), now=NOW)[0]
        for _ in range(DIGEST_CAPACITY[kind] + 1)
    ]
    for row in rows:
        notification_deliver(notification_id=row.pk, now=NOW)

    outcome = notification_deliver(notification_id=rows[1].pk, now=NOW + timedelta(seconds=61))

    text = content(receiver.requests[-1].json)
    assert outcome.merged == DIGEST_CAPACITY[kind] - 1
    assert "more lines" not in text
    assert all(row.case_number in text for row in rows[1:])
    assert statuses(*rows) == ["sent"] * len(rows)


def test_digest_rows_that_do_not_fit_the_vendors_limit_wait_for_the_next_message(receiver):
    channel = ChannelFactory(
        name="robot", kind="wecom", url=receiver.url("/robot?key=k"), rate_limit_per_minute=1
    )
    RouteFactory(channels=[channel])
    long_link = "https://desk.example.com/admin/cases/case/" + "7" * 700 + "/change/"
    rows = [alert_dispatch(alert=AlertFactory(url=long_link), now=NOW)[0] for _ in range(9)]
    for row in rows:
        notification_deliver(notification_id=row.pk, now=NOW)

    later = NOW + timedelta(seconds=61)
    first = notification_deliver(notification_id=rows[1].pk, now=later)

    text = receiver.requests[-1].json["markdown"]["content"]
    sent = [row for row in rows[1:] if statuses(row) == ["sent"]]
    waiting = [row for row in rows[1:] if statuses(row) == ["deferred"]]
    assert first.merged == len(sent) - 1
    assert "more lines" not in text
    assert [row.case_number in text for row in rows[1:]] == [row in sent for row in rows[1:]]
    assert len(waiting) == 8 - len(sent) > 0
    assert not Notification.objects.filter(
        pk__in=[r.pk for r in waiting], merged_into__isnull=False
    )

    at = later
    while Notification.objects.exclude(status="sent").exists() and at < later + timedelta(hours=1):
        at += timedelta(seconds=61)
        notification_deliver(notification_id=waiting[0].pk, now=at)
        waiting = list(Notification.objects.exclude(status="sent").order_by("pk")) or waiting
    assert statuses(*rows) == ["sent"] * 9
    received = " ".join(r.json["markdown"]["content"] for r in receiver.requests)
    assert all(row.case_number in received for row in rows)


# --- a send that raises, a worker that dies ----------------------------------------------------


def test_a_send_that_raises_is_a_recorded_failure_not_a_row_left_sending(fast_retries):
    # a newline in the subject makes Django's EmailMessage raise BadHeaderError (a ValueError)
    channel = ChannelFactory(
        name="mail", kind="email", url="", recipients=["d@example.com"], keyword="[a]\nBcc: x"
    )
    [row] = dispatch_to(channel)

    outcomes = []
    for _ in range(fast_retries.NOTIFICATIONS_MAX_ATTEMPTS):
        row.refresh_from_db()
        outcomes.append(notification_deliver(notification_id=row.pk, now=row.next_attempt_at))

    row.refresh_from_db()
    assert [o.status for o in outcomes] == ["retrying", "retrying", "failed"]
    assert (row.status, row.attempts) == ("failed", 3)
    assert "BadHeaderError" in row.last_error


def test_a_row_whose_worker_dies_every_time_ends_failed(fast_retries, monkeypatch):
    monkeypatch.setattr("notifications.tasks.notification_deliver_task.delay", lambda pk: None)
    [row] = dispatch_to(ChannelFactory(name="hook"))
    at = NOW
    for _ in range(fast_retries.NOTIFICATIONS_MAX_ATTEMPTS):
        # the worker claims the row and dies before recording anything
        Notification.objects.filter(pk=row.pk).update(status="sending", claimed_at=at)
        at += timedelta(seconds=fast_retries.NOTIFICATIONS_STUCK_AFTER + 1)
        notification_requeue_due(now=at)

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", fast_retries.NOTIFICATIONS_MAX_ATTEMPTS)
    assert "did not finish" in row.last_error


# --- vendor rate limits ------------------------------------------------------------------------


def test_a_muted_dingtalk_robot_is_retried_after_its_ten_minutes(receiver):
    receiver.answer(200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
    [row] = dispatch_to(ChannelFactory(name="ding", kind="dingtalk", url=receiver.url("/r")))

    outcome = notification_deliver(notification_id=row.pk, now=NOW)

    row.refresh_from_db()
    assert (outcome.status, outcome.retry_in) == ("retrying", 600.0)
    assert row.next_attempt_at == NOW + timedelta(minutes=10)


def test_two_channels_posting_to_the_same_robot_share_its_rate_limit(receiver):
    url = receiver.url("/robot/send?access_token=shared")
    first, second = (
        ChannelFactory(name=n, kind="dingtalk", url=url, rate_limit_per_minute=2)
        for n in ("east", "west")
    )
    other = ChannelFactory(
        name="other", kind="dingtalk", url=receiver.url("/robot/send?access_token=other")
    )
    RouteFactory(channels=[first, second, other])
    rows = [row for _ in range(2) for row in alert_dispatch(alert=AlertFactory(), now=NOW)]

    outcomes = {row.recipient: [] for row in rows}
    for row in rows:
        outcomes[row.recipient].append(notification_deliver(notification_id=row.pk, now=NOW).status)

    assert outcomes == {
        "east": ["sent", "deferred"],
        "west": ["sent", "deferred"],
        "other": ["sent", "sent"],
    }


def test_a_send_counts_against_the_limit_from_when_it_finished_not_when_it_started(
    receiver, monkeypatch
):
    class SlowSend:
        """The clock delivery reads: each send appears to take 5 seconds."""

        ticks = iter([0.0, 5.0, 100.0, 100.0, 200.0, 200.0])

        @classmethod
        def monotonic(cls):
            return next(cls.ticks)

    monkeypatch.setattr("notifications.services.delivery.time", SlowSend)
    limited_ding(receiver)
    first, second = (alert_dispatch(alert=AlertFactory(), now=NOW)[0] for _ in range(2))
    notification_deliver(notification_id=first.pk, now=NOW)

    too_soon = notification_deliver(notification_id=second.pk, now=NOW + timedelta(seconds=61))
    in_time = notification_deliver(notification_id=second.pk, now=NOW + timedelta(seconds=65.1))

    assert (too_soon.status, too_soon.retry_in) == ("deferred", pytest.approx(4.05))
    assert in_time.status == "sent"
