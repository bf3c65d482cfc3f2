"""Red intake while Redis is down: how long the API takes to answer.

    .venv/bin/python bench/bench_redis_outage.py [--cases 20]

The broker URL points at a closed port on 127.0.0.1 (what a stopped Redis looks like), Celery is
not eager, and each red intake goes through the API with its after-commit work: clocks, triage,
the red alert (whose delivery tasks cannot be queued — the outbox rows stay due for the requeue
sweep). Uses a throw-away test database (SQLite in memory, or test_<name> on PostgreSQL when
DATABASE_URL points there), created and dropped by the run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20)
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        CELERY_BROKER_URL="redis://127.0.0.1:9/0",
        REDIS_URL="redis://127.0.0.1:9/0",
        CELERY_TASK_ALWAYS_EAGER="false",
        LOG_LEVEL="CRITICAL",
    )
    import django

    django.setup()
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0)
    databases = runner.setup_databases()
    try:
        from django.test import Client
        from rest_framework.authtoken.models import Token

        from config.celery_app import app
        from tests.factories import StoreFactory, UserFactory

        app.conf.task_always_eager = False
        StoreFactory(code="SH001")
        handler = UserFactory(username="bench-handler", roles=["handler"])
        for role in ("supervisor", "manager"):
            UserFactory(username=f"bench-{role}", roles=[role], email=f"{role}@bench.example")
        client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=handler).key}")
        timings = []
        for i in range(args.cases + 1):
            body = {
                "title": "投诉",
                "description": f"孩子吃了酸奶拉肚子去了医院，我要发到微博（{i}）",
                "channel": "app",
                "category": "food_safety",
                "store": "SH001",
            }
            started = time.perf_counter()
            response = client.post("/api/v1/cases/", body, content_type="application/json")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 201 or response.json()["risk_level"] != "red":
                raise SystemExit(f"unexpected answer {response.status_code}: {response.content!r}")
            if i:  # the first one warms up the process
                timings.append(elapsed)
        timings.sort()
        print(f"red intake with Redis down, {len(timings)} cases through the API:")
        print(
            f"  p50 {statistics.median(timings):.0f} ms   "
            f"p99 {timings[min(len(timings) - 1, int(0.99 * len(timings)))]:.0f} ms   "
            f"max {timings[-1]:.0f} ms"
        )
    finally:
        runner.teardown_databases(databases)


if __name__ == "__main__":
    main()
