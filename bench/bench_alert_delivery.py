"""Alert delivery through a real Celery worker on Redis, against PostgreSQL.

    .venv/bin/python bench/bench_alert_delivery.py [--alerts 1000] [--concurrency 4]
                                                   [--digest-alerts 200]

1. Dispatches `--alerts` alerts (one transaction each, as the SLA engine does) to a signed
   webhook channel pointing at a receiver on 127.0.0.1 started here; a Celery worker started
   here as a subprocess delivers them. Prints throughput and p50/p99 dispatch -> receipt time,
   and checks that every alert arrived exactly once.
2. Unless `--digest-alerts 0`: sends that many alerts at once to a DingTalk-style robot limited
   to 20 messages a minute, and shows that none is dropped: the overflow waits for the window and
   goes out merged into digests (takes a little over a minute).

Uses a scratch database on 127.0.0.1:5432 named by BENCH_DATABASE_NAME (default `bench_alerts`;
dropped and re-created) and the Redis database of CELERY_BROKER_URL (default
redis://127.0.0.1:6379/1), which it flushes.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "bench_alerts")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"


def env():
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")
    return {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": os.environ.get("REDIS_URL", broker),
        "LANGUAGE_CODE": "zh-hans",
    }


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def reset_database():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0", "--noinput"],
        cwd=ROOT,
        env=env(),
        check=True,
    )


def drop_database():
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def setup_django():
    os.environ.update(env())
    import django

    django.setup()


def flush_broker():
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def start_worker(concurrency):
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(
        [str(celery), "-A", "config", "worker", "-l", "WARNING", "-c", str(concurrency),
         "-Q", "deadlines,alerts,celery,bulk",
         "--without-gossip", "--without-mingle", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT,
        env=env(),
        start_new_session=True,
    )  # fmt: skip
    from config.celery_app import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit("the Celery worker exited during start-up")
        if app.control.ping(timeout=0.5):
            return worker
    stop_worker(worker)
    raise SystemExit("the Celery worker did not answer within 60 s")


def stop_worker(worker):
    if worker.poll() is None:
        # TERM to the main process only: a warm shutdown that lets its pool finish
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def make_alert(run, i, kind="sla_breach"):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.alerts import Alert

    return Alert(
        kind=kind,
        dedupe_key=f"bench:{run}:{i}",
        case_number=f"KS-20260101-{i:04d}",
        title="冷链配送的鲜牛奶变质，顾客要求赔偿",
        risk_level=("red", "yellow", "blue")[i % 3],
        store_code="SH001",
        store_name="上海徐汇店",
        region="华东",
        sla="first_response",
        due_at=timezone.now() - timedelta(minutes=1),
        escalation_level=1,
        url=f"/admin/cases/case/{i}/change/",
        # the keys the SLA engine sends
        extra={
            "masked_phone": "138****5678",
            "risk_reasons": [{"signal": "食品安全", "evidence": ["变质"]}],
        },
    )


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)  # polling a real process, not letting time pass in a test
    return predicate()


def bench_throughput(receiver, alerts, run):
    from django.db import transaction
    from django.db.models import Count

    from notifications.models import Channel, Notification, Route
    from notifications.services import alert_dispatch

    channel = Channel.objects.create(
        name="bench-hook", kind="webhook", url=receiver.url("/alerts"), secret="bench-secret"
    )
    route = Route.objects.create(name="bench", kinds=["sla_breach"])
    route.channels.add(channel)

    dispatched = {}
    started = time.time()
    for i in range(alerts):
        alert = make_alert(run, i)
        dispatched[alert.dedupe_key] = time.time()
        with transaction.atomic():
            alert_dispatch(alert=alert)
    dispatch_wall = time.time() - started
    arrived = wait_until(lambda: len(receiver.requests) >= alerts, timeout=300)
    wait_until(
        lambda: not Notification.objects.exclude(status="sent").filter(channel=channel).exists(),
        timeout=30,
    )
    requests = list(receiver.requests)
    keys = [r.headers.get("X-Alert-Key") for r in requests]
    latencies = [r.received_at - dispatched[k] for r, k in zip(requests, keys, strict=True)]
    last = max(r.received_at for r in requests)
    statuses = dict(
        Notification.objects.filter(channel=channel).values_list("status").annotate(n=Count("id"))
    )
    print(f"\n== {alerts} alerts -> signed webhook on 127.0.0.1, one Celery worker ==")
    print(f"all arrived:           {arrived} ({len(requests)} requests received)")
    print(f"duplicates:            {len(keys) - len(set(keys))}")
    print(f"rows by status:        {statuses}")
    print(f"dispatch (in-process): {alerts / dispatch_wall:8.1f} alerts/s ({dispatch_wall:.2f} s)")
    print(
        f"end-to-end throughput: {alerts / (last - started):8.1f} alerts/s ({last - started:.2f} s)"
    )
    print(f"dispatch -> receipt:   p50 {percentile(latencies, 50) * 1000:7.1f} ms   "
          f"p99 {percentile(latencies, 99) * 1000:7.1f} ms   "
          f"max {max(latencies) * 1000:7.1f} ms   mean {statistics.mean(latencies) * 1000:7.1f} ms")  # fmt: skip


def bench_digest(receiver, alerts, run):
    from django.db import transaction
    from django.db.models import Count

    from notifications.models import Channel, Notification, Route
    from notifications.services import alert_dispatch

    channel = Channel.objects.create(
        name="bench-ding", kind="dingtalk", url=receiver.url("/robot/send?access_token=bench"),
        rate_limit_per_minute=20,
    )  # fmt: skip
    route = Route.objects.create(name="bench-ding", kinds=["case_red"])
    route.channels.add(channel)
    before = len(receiver.requests)
    started = time.time()
    for i in range(alerts):
        with transaction.atomic():
            alert_dispatch(alert=make_alert(f"{run}-d", i, kind="case_red"))
    rows = Notification.objects.filter(channel=channel)
    done = wait_until(lambda: not rows.exclude(status__in=["sent", "failed"]).exists(), timeout=240)
    wall = time.time() - started
    messages = receiver.requests[before:]
    statuses = dict(rows.values_list("status").annotate(n=Count("id")))
    merged = rows.filter(merged_into__isnull=False).count()
    window = [m.received_at for m in messages]
    busiest = max(sum(1 for t in window if s <= t < s + 60) for s in window) if window else 0
    # every row marked sent must be visible in a message the robot received
    received = "\n".join(m.json["markdown"]["text"] for m in messages)
    sent_numbers = rows.filter(status="sent").values_list("case_number", flat=True)
    unseen = sum(1 for number in sent_numbers if number not in received)
    print(f"\n== {alerts} alerts at once -> DingTalk-style robot limited to 20 messages/minute ==")
    print(f"all settled:           {done} in {wall:.1f} s")
    print(f"rows by status:        {statuses} ({merged} sent inside digests)")
    print(f"messages to the robot: {len(messages)}; most in any 60 s: {busiest}")
    print(f"sent but not in any message: {unseen}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes")
    parser.add_argument("--digest-alerts", type=int, default=200, help="0 skips the digest run")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    reset_database()
    setup_django()
    flush_broker()
    from tests.support.receiver import Receiver

    run = uuid.uuid4().hex[:8]
    receiver = Receiver(default_body={"errcode": 0, "errmsg": "ok"}).start()
    worker = start_worker(args.concurrency)
    try:
        bench_throughput(receiver, args.alerts, run)
        if args.digest_alerts:
            bench_digest(receiver, args.digest_alerts, run)
    finally:
        stop_worker(worker)
        receiver.stop()
        if not args.keep_db:
            drop_database()


if __name__ == "__main__":
    main()
