"""The SLA engine for real: Celery worker and beat as processes on Redis and PostgreSQL, alerts
arriving at an HTTP receiver this test starts on 127.0.0.1.

Windows are shrunk to seconds by a narrow policy (only the cases these tests create match it),
so each test waits for real processes for a few seconds, never for a fixed time.
"""

import threading
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from cases import services as case_services
from escalation.models import ClockCrossing, SlaClock, SlaPolicy, SweeperHeartbeat
from escalation.services import sla_sweep
from notifications.alerts import AlertKind
from notifications.models import Channel, ChannelKind, Notification, Route
from tests.factories import StoreFactory, UserFactory
from tests.support.processes import (
    RedisServer,
    database_url,
    free_port,
    process_env,
    start_beat,
    start_receiver,
    start_worker,
    temp_dir,
    wait_for_worker,
    wait_until,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CATEGORY, CHANNEL = "delivery", "app"  # only the cases of these tests match the short policy
WAIT = 45  # seconds: an upper bound, reached only when something is broken


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: real worker and beat share the test database")


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def desk(receiver):
    """A webhook route for every SLA alert, a short policy, a store and an actor."""
    channel = Channel.objects.create(name="it-hook", kind=ChannelKind.WEBHOOK, url=receiver.url)
    route = Route.objects.create(
        name="it-sla",
        kinds=[AlertKind.SLA_WARNING, AlertKind.SLA_BREACH, AlertKind.ESCALATION],
    )
    route.channels.add(channel)
    SlaPolicy.objects.create(
        name="seconds",
        risk_level="blue",
        category=CATEGORY,
        channel=CHANNEL,
        first_response_target=timedelta(seconds=4),
        close_target=timedelta(hours=1),
        warning_percent=50,
    )
    return {
        "store": StoreFactory(code="IT01"),
        "actor": UserFactory(username="it-admin", is_superuser=True, is_staff=True),
    }


def new_case(desk, *, received_at=None):
    case, _ = case_services.case_create(
        intake=case_services.CaseIntake(
            title="外卖迟到", description="送达超时两小时", channel=CHANNEL, category=CATEGORY,
            store=desk["store"], received_at=received_at,
        ),
        actor=desk["actor"],
    )  # fmt: skip
    return case


class Stack:
    """Worker(s) and beat against this test's database and a broker; stopped at teardown."""

    def __init__(self, broker_url: str):
        self.log_dir = temp_dir("sla-it-")
        self.env = process_env(
            DJANGO_SETTINGS_MODULE="tests.escalation.integration_settings",
            DATABASE_URL=database_url(connection.settings_dict),
            CONN_MAX_AGE="0",
            CELERY_BROKER_URL=broker_url,
            REDIS_URL=broker_url,
            NOTIFICATIONS_STUCK_AFTER="2",
            NOTIFICATIONS_HTTP_TIMEOUT="30",
        )
        self.procs = []

    def worker(self, name="worker"):
        proc = start_worker(self.env, self.log_dir, name=name)
        self.procs.append(proc)
        wait_for_worker(proc)
        return proc

    def beat(self, name="beat"):
        proc = start_beat(self.env, self.log_dir, name=name)
        self.procs.append(proc)
        return proc

    def stop(self):
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture
def stack():
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # no leftovers from earlier runs
    stacks = []

    def start(broker_url=settings.CELERY_BROKER_URL):
        stacks.append(Stack(broker_url))
        return stacks[-1]

    yield start
    for s in stacks:
        s.stop()


def deliveries(receiver, key, *, answered=True):
    items = receiver.answered() if answered else receiver.all()
    return [r for r in items if r.headers.get("X-Alert-Key") == key]


def clock_of(case) -> SlaClock:
    return SlaClock.objects.get(case=case, kind="first_response")


def sweeps_after(moment, seconds=1.5):
    """True once the sweeper has finished a run `seconds` after `moment` (i.e. several more)."""
    beat = SweeperHeartbeat.objects.filter(last_run_at__gte=moment + timedelta(seconds=seconds))
    return beat.exists()


def test_a_case_whose_response_is_due_gets_its_warning_and_breach_each_once_and_a_responded_one_none(
    desk, receiver, stack
):
    s = stack()
    s.worker()
    s.beat()
    due = new_case(desk)
    responded = new_case(desk)
    case_services.case_transition(
        case=responded, transition="respond", actor=desk["actor"], data={"note": "已回电"}
    )
    clock, other = clock_of(due), clock_of(responded)
    breach_key = f"sla:{clock.pk}:breach"

    wait_until(lambda: deliveries(receiver, breach_key), timeout=WAIT)
    wait_until(
        lambda: (
            sweeps_after(clock.due_at) and not Notification.objects.exclude(status="sent").exists()
        ),
        timeout=WAIT,
    )

    assert len(deliveries(receiver, f"sla:{clock.pk}:warning")) == 1
    assert len(deliveries(receiver, breach_key)) == 1
    assert [
        r for r in receiver.all() if f"sla:{other.pk}:" in r.headers.get("X-Alert-Key", "")
    ] == []
    assert Client().get("/healthz").status_code == 200
    readyz = Client().get("/readyz")
    assert (readyz.status_code, readyz.json()["problems"]) == (200, [])


def test_two_sweepers_at_once_still_give_one_alert_per_breach(desk, receiver, stack):
    s = stack()
    s.worker("worker-a")
    s.worker("worker-b")
    s.beat()
    cases = [new_case(desk) for _ in range(20)]
    keys = {f"sla:{clock_of(c).pk}:breach" for c in cases}
    done = threading.Event()

    def sweep_in_this_process():  # two more sweepers beside the workers' own
        try:
            while not done.is_set():
                sla_sweep()
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep_in_this_process) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: all(deliveries(receiver, k) for k in keys), timeout=WAIT)
    finally:
        done.set()
        for t in threads:
            t.join(timeout=30)
    all_in = timezone.now()
    wait_until(
        lambda: sweeps_after(all_in) and not Notification.objects.exclude(status="sent").exists(),
        timeout=WAIT,
    )

    assert sorted(len(deliveries(receiver, k, answered=False)) for k in keys) == [1] * len(keys)
    assert ClockCrossing.objects.filter(threshold="breach").count() == len(keys)


def test_a_worker_killed_during_delivery_delivers_once_after_a_restart(desk, receiver, stack):
    receiver.hold = lambda item: item.headers.get("X-Alert-Key", "").endswith(":breach")
    s = stack()
    worker = s.worker()
    s.beat()
    case = new_case(desk)
    breach_key = f"sla:{clock_of(case).pk}:breach"

    wait_until(lambda: deliveries(receiver, breach_key, answered=False), timeout=WAIT)
    worker.kill()  # mid-request: the receiver has not answered
    receiver.hold = None
    receiver.released.set()
    s.worker("worker-restarted")

    wait_until(lambda: deliveries(receiver, breach_key), timeout=WAIT)
    row = Notification.objects.get(alert_key=breach_key)
    delivered = timezone.now()
    wait_until(lambda: sweeps_after(delivered, seconds=2), timeout=WAIT)

    assert len(deliveries(receiver, breach_key)) == 1
    assert len(deliveries(receiver, breach_key, answered=False)) == 2  # the cut one + the real one
    row.refresh_from_db()
    assert row.status == "sent"


def test_an_alert_due_while_redis_is_down_arrives_once_redis_is_back(desk, receiver, stack):
    # Long enough to create the case and stop Redis before the deadline; no warning, so the
    # breach is the only alert in play.
    SlaPolicy.objects.filter(name="seconds").update(
        first_response_target=timedelta(seconds=6), warning_percent=None
    )
    private = RedisServer(port=free_port())
    private.start()
    try:
        s = stack(broker_url=private.url)
        s.worker()
        s.beat()
        wait_until(lambda: SweeperHeartbeat.objects.exists(), timeout=WAIT)
        case = new_case(desk)  # while Redis is up (its short nudge may even be queued)
        clock = clock_of(case)
        breach_key = f"sla:{clock.pk}:breach"

        private.stop()
        stopped_at = timezone.now()
        # The deadline passes while Redis is down, with time for several sweeps had it been up.
        wait_until(lambda: timezone.now() > clock.due_at + timedelta(seconds=2), timeout=WAIT)
        during_outage = deliveries(receiver, breach_key, answered=False)
        back_at = timezone.now()
        private.start()

        wait_until(lambda: deliveries(receiver, breach_key), timeout=WAIT)
        arrived_at = timezone.now()
        wait_until(
            lambda: (
                sweeps_after(arrived_at, seconds=2)
                and not Notification.objects.exclude(status="sent").exists()
            ),
            timeout=WAIT,
        )
    finally:
        private.stop()

    assert stopped_at < clock.due_at < back_at
    assert during_outage == []
    arrived = deliveries(receiver, breach_key, answered=False)
    assert len(arrived) == 1
    assert arrived[0].at >= back_at.timestamp()
    assert ClockCrossing.objects.filter(clock=clock, threshold="breach").count() == 1


def test_a_second_beat_stops_at_once_and_the_first_keeps_scheduling(desk, stack):
    s = stack()
    s.worker()
    first = s.beat("beat-a")
    wait_until(lambda: "beat lock taken" in first.log(), timeout=WAIT)

    second = s.beat("beat-b")
    wait_until(lambda: not second.alive(), timeout=WAIT)

    assert second.popen.returncode == 1
    assert "another Celery beat is running" in second.log()
    assert first.alive()
    started = timezone.now()
    wait_until(lambda: sweeps_after(started), timeout=WAIT)


def test_a_beat_started_after_the_first_stopped_takes_over(desk, stack):
    s = stack()
    first = s.beat("beat-a")
    wait_until(lambda: "beat lock taken" in first.log(), timeout=WAIT)
    first.stop()

    second = s.beat("beat-b")

    wait_until(lambda: "beat lock taken" in second.log(), timeout=WAIT)
    assert second.alive()
