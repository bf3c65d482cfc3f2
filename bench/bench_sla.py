"""SLA engine benchmark (run on purpose, prints numbers; not a test).

1. Sweep cost when nothing is due, with 10,000 / 100,000 / 1,000,000 open clocks: the sweep looks
   only at `next_check_at <= now` through a partial index, so it should be flat.
2. Deadline-to-alert latency: 1,000 cases whose first-response deadlines fall within the next two
   minutes, among 100,000 other open cases, with a real Celery worker and beat on Redis, alerts
   delivered by the webhook channel to a receiver on 127.0.0.1. Reports p50 / p99 / max.

Usage (PostgreSQL only; the database is created / emptied by this script):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_sla_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 REDIS_URL=redis://127.0.0.1:6379/2 \\
    .venv/bin/python bench/bench_sla.py [--sizes 10000,100000,1000000] [--skip-latency]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import Case  # noqa: E402
from core.models import Store  # noqa: E402
from escalation.models import SlaClock  # noqa: E402
from escalation.services import sla_sweep  # noqa: E402
from notifications.models import Channel, ChannelKind, Notification, Route  # noqa: E402
from tests.support.processes import (  # noqa: E402
    database_url,
    process_env,
    start_beat,
    start_receiver,
    start_worker,
    temp_dir,
    wait_for_worker,
    wait_until,
)

PREFIX = "B-"


def template_case() -> Case:
    store, _ = Store.objects.get_or_create(code="BENCH", defaults={"name": "压测门店"})
    case = Case.objects.filter(number=f"{PREFIX}TEMPLATE").first()
    if case is None:
        case = Case.objects.create(
            number=f"{PREFIX}TEMPLATE", title="压测", description="压测数据", channel="app",
            category="delivery", store=store, received_at=timezone.now(),
        )  # fmt: skip
    return case


def insert_cases(template: Case, start: int, end: int) -> None:
    """Clone the template row (ids start..end-1 of the number series) in one INSERT ... SELECT."""
    columns = [f.column for f in Case._meta.concrete_fields if f.column != "id"]
    select = [
        f"'{PREFIX}' || lpad(g::text, 9, '0')" if c == "number" else f't."{c}"' for c in columns
    ]
    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO cases_case ({quoted}) "  # noqa: S608
            f"SELECT {', '.join(select)} FROM cases_case t, generate_series(%s, %s) g "
            "WHERE t.id = %s",
            [start, end - 1, template.pk],
        )


def insert_open_clocks(after_case_id: int) -> int:
    """Two open clocks (first response, close) per bench case with id > after_case_id, each
    with its next threshold 10-70 minutes away, i.e. nothing due during the measurement."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO escalation_slaclock (case_id, kind, state, timed_for_risk, started_at,
                warn_at, due_at, ladder, next_check_at, crossed, escalation_level, created_at)
            SELECT c.id, k.kind, 'running', 'blue', now(),
                now() + interval '45 minutes', now() + interval '1 hour', '[]'::jsonb,
                now() + make_interval(secs => 600 + (c.id %% 3600)), '[]'::jsonb, 0, now()
            FROM cases_case c CROSS JOIN (VALUES ('first_response'), ('close')) AS k(kind)
            WHERE c.id > %s AND c.number LIKE 'B-%%' AND c.number <> 'B-TEMPLATE'
            """,
            [after_case_id],
        )
        return cursor.rowcount


def next_number() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(substring(number from 3)::int), 0) + 1 FROM cases_case "
            "WHERE number ~ '^B-[0-9]+$'"
        )
        return cursor.fetchone()[0]


def open_clock_count() -> int:
    return SlaClock.objects.filter(state__in=["running", "breached"]).count()


def grow_to(template: Case, clocks: int) -> None:
    have = open_clock_count()
    need_cases = (clocks - have) // 2
    if need_cases <= 0:
        return
    last_number = next_number()
    last_id = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    step = 100_000
    for start in range(last_number, last_number + need_cases, step):
        insert_cases(template, start, min(start + step, last_number + need_cases))
    insert_open_clocks(last_id)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case; ANALYZE escalation_slaclock;")


def measure_sweep(runs: int = 50) -> dict:
    sla_sweep()  # warm the connection and caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        processed = sla_sweep()
        samples.append((time.perf_counter() - started) * 1000)
        assert processed == 0, "something was due: the measurement would not be 'nothing due'"
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95) - 1],
        "max_ms": samples[-1],
    }


def explain_sweep_query() -> str:
    """The sweep's own query: clocks with their case and store (EXPLAIN without the row lock)."""
    qs = (
        SlaClock.objects.filter(next_check_at__lte=timezone.now())
        .select_related("case__store")
        .order_by("next_check_at")[:200]
    )
    return qs.explain()


def latency(template: Case, *, cases: int, window: float) -> dict:
    """Due times spread over `window` seconds starting 20 s from now; measure arrival - due."""
    receiver = start_receiver()
    channel = Channel.objects.create(name="bench-hook", kind=ChannelKind.WEBHOOK, url=receiver.url)
    route = Route.objects.create(name="bench", kinds=["sla_breach"])
    route.channels.add(channel)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    log_dir = temp_dir("sla-bench-")
    env = process_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(connection.settings_dict),
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
    )
    first = next_number()
    worker = start_worker(env, log_dir, concurrency=2)
    beat = start_beat(env, log_dir)
    try:
        wait_for_worker(worker)
        insert_cases(template, first, first + cases)
        ids = list(
            Case.objects.filter(number__gte=f"{PREFIX}{first:09d}").order_by("id")
            .values_list("id", flat=True)[:cases]
        )  # fmt: skip
        start = timezone.now() + timedelta(seconds=20)
        clocks = []
        for i, case_id in enumerate(ids):
            due = start + timedelta(seconds=window * i / cases)
            clocks.append(
                SlaClock(
                    case_id=case_id, kind="first_response", timed_for_risk="blue",
                    started_at=due - timedelta(hours=1), warn_at=due - timedelta(minutes=15),
                    due_at=due, crossed=["warning"], next_check_at=due,
                    ladder=[{"level": 1, "at": due.isoformat(), "audience": ["supervisor"]}],
                )
            )  # fmt: skip
        clocks = SlaClock.objects.bulk_create(clocks)
        due_by_key = {f"sla:{c.pk}:breach": c.due_at.timestamp() for c in clocks}
        print(f"  {len(clocks)} deadlines between +20 s and +{20 + window:.0f} s; waiting ...")
        wait_until(
            lambda: (
                len({r.headers.get("X-Alert-Key") for r in receiver.answered()} & set(due_by_key))
                == len(due_by_key)
            ),
            timeout=window + 300,
            interval=1,
        )
        arrivals: dict[str, float] = {}
        for r in receiver.answered():
            key = r.headers.get("X-Alert-Key")
            if key in due_by_key and key not in arrivals:
                arrivals[key] = r.at
        lat = sorted(arrivals[k] - due_by_key[k] for k in due_by_key)
        duplicates = len([r for r in receiver.all() if r.headers.get("X-Alert-Key") in due_by_key])
        return {
            "alerts": len(lat),
            "requests": duplicates,
            "p50_s": statistics.median(lat),
            "p99_s": lat[int(len(lat) * 0.99) - 1],
            "max_s": lat[-1],
        }
    finally:
        beat.stop()
        worker.stop()
        receiver.close()
        SlaClock.objects.filter(case__number__gte=f"{PREFIX}{first:09d}", kind="first_response",
                                crossed__contains=["warning"]).delete()  # fmt: skip
        Notification.objects.filter(channel=channel).delete()
        route.delete()
        channel.delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--latency-cases", type=int, default=1000)
    parser.add_argument("--latency-background", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("run against PostgreSQL: DATABASE_URL=postgres://...")

    call_command("migrate", verbosity=0)
    SlaClock.objects.all().delete()
    Case.objects.filter(number__startswith=PREFIX).exclude(number=f"{PREFIX}TEMPLATE").delete()
    template = template_case()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    print("Sweep cost with nothing due")
    latency_done = args.skip_latency
    for size in sizes:
        if not latency_done and size >= args.latency_background:
            grow_to(template, args.latency_background)
            print(f"Deadline -> alert latency ({args.latency_cases} cases in {args.window:.0f} s, "
                  f"{open_clock_count():,} other open clocks)")  # fmt: skip
            print("  ", latency(template, cases=args.latency_cases, window=args.window))
            latency_done = True
        started = time.perf_counter()
        grow_to(template, size)
        grown = time.perf_counter() - started
        result = measure_sweep()
        print(f"  {open_clock_count():>9,} open clocks (setup {grown:.0f} s): "
              f"median {result['median_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms, "
              f"max {result['max_ms']:.2f} ms")  # fmt: skip
    print("Sweep query plan at the largest size:")
    print("  " + explain_sweep_query().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
