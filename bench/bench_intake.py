"""API intake throughput/latency through gunicorn on PostgreSQL, and the admin case list at scale.

    .venv/bin/python bench/bench_intake.py [--cases 2000] [--clients 8] [--workers 4] [--list-cases 50000]

Creates a scratch database `bench_intake` on 127.0.0.1:5432 (dropped and re-created each run).
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "bench_intake"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
PORT = 8765


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def env():
    return {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
    }


def manage(*args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env(), check=True)


def reset_database():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    manage("migrate", "-v0", "--noinput")


def setup_django():
    os.environ.update(env())
    import django

    django.setup()


def make_user():
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from core.models import Store

    store, _ = Store.objects.get_or_create(code="SH001", defaults={"name": "上海徐汇店"})
    user, _ = User.objects.get_or_create(username="bench_handler", defaults={"is_staff": True})
    user.set_password("bench-pass-123")
    user.save()
    user.groups.add(Group.objects.get(name="handler"))
    store.staff.add(user)
    return user, Token.objects.get_or_create(user=user)[0].key


def run_intake(token, total, clients):
    url = f"http://127.0.0.1:{PORT}/api/v1/cases/"
    body = {
        "title": "冷链配送的鲜牛奶变质",
        "description": "顾客反映收到的鲜牛奶已经结块发酸，要求退款并说明原因。",
        "channel": "app", "category": "spoiled_expired", "store": "SH001",
        "customer_name": "王女士", "customer_phone": "13812345678", "amount": "36.80",
    }  # fmt: skip
    latencies, errors = [], []
    lock = threading.Lock()
    per_client = total // clients

    def client():
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        for _ in range(per_client):
            started = time.perf_counter()
            answer = session.post(url, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if answer.status_code != 201:
                    errors.append(answer.status_code)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return latencies, errors, wall


def wait_for_server():
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{PORT}/api/v1/me/", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def bulk_cases(count):
    from django.utils import timezone

    from cases.models import Case
    from core.models import Store

    stores = [
        Store.objects.get_or_create(
            code=f"B{i:03d}", defaults={"name": f"门店{i}", "region": "华东"}
        )[0]
        for i in range(40)
    ]
    now = timezone.now()
    levels = ["blue", "blue", "yellow", "red"]
    states = ["new", "responded", "resolved", "closed"]
    batch = []
    for i in range(count):
        batch.append(Case(
            number=f"KS-BENCH-{i:06d}", title=f"批量案件 {i}", description="配送超时，商品破损。",
            channel="app", category="delivery", store=stores[i % len(stores)],
            customer_phone=f"138{i:08d}", risk_level=levels[i % 4], state=states[i % 4],
            received_at=now - timezone.timedelta(minutes=i),
        ))  # fmt: skip
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)


def measure_admin_list(user, rounds=20):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    results = {}
    for label, url in [
        ("default", "/admin/cases/case/"),
        ("filtered (red, open)", "/admin/cases/case/?risk_level__exact=red&state__exact=new"),
        ("search last-4 phone", "/admin/cases/case/?q=4567"),
    ]:
        client.get(url)  # warm
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                answer = client.get(url)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.status_code
        results[label] = (statistics.median(times), percentile(times, 95), len(queries))
    return results


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--list-cases", type=int, default=50000)
    args = parser.parse_args()

    reset_database()
    setup_django()
    user, token = make_user()

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", str(args.workers), "--log-level", "warning"],
        cwd=ROOT, env=env(),
    )  # fmt: skip
    try:
        wait_for_server()
        # one client: the latency a single caller sees; then `--clients` at once: throughput
        runs = [(1, args.cases // 4), (args.clients, args.cases)]
        results = [(clients, *run_intake(token, count, clients)) for clients, count in runs]
    finally:
        server.terminate()
        server.wait(timeout=20)

    for clients, latencies, errors, wall in results:
        ms = [x * 1000 for x in latencies]
        print(
            f"\nAPI intake: {len(latencies)} POST /api/v1/cases/ through gunicorn "
            f"({args.workers} sync workers, {clients} concurrent client(s)), PostgreSQL"
        )
        print(f"  throughput   {len(latencies) / wall:8.1f} cases/s   (wall {wall:.1f} s)")
        print(f"  latency p50  {percentile(ms, 50):8.1f} ms")
        print(f"  latency p99  {percentile(ms, 99):8.1f} ms")
        print(f"  latency max  {max(ms):8.1f} ms")
        print(f"  non-201      {len(errors)}")

    from cases.models import Case

    bulk_cases(args.list_cases - Case.objects.count())
    print(f"\nAdmin case list with {Case.objects.count()} cases (handler, in-process client):")
    for label, (median, p95, queries) in measure_admin_list(user).items():
        print(
            f"  {label:<22} median {median * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
            f"queries {queries}"
        )

    from django.db import connections

    connections.close_all()
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
