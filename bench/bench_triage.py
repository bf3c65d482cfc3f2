"""Risk triage: time per text (p50/p99) over 10,000 texts, and the latency triage adds to intake.

    .venv/bin/python bench/bench_triage.py [--texts 10000] [--cases 300]

1. The pure engine on `--texts` complaint texts (the shipped evaluation and seed texts, each
   varied so that no two are equal), rules only and rules + the model trained from the seed.
2. `triage.selectors.triage_text`, i.e. the engine plus its two "has anything changed" queries.
3. Intake: `cases.services.case_create` with its after-commit receivers (SLA clocks, triage),
   `--cases` times with the triage receiver connected and as many without; the difference is
   what triage adds before the API can answer.

Uses a scratch database `bench_triage` (or `$BENCH_TRIAGE_DB`) on 127.0.0.1:5432 (dropped and
re-created each run) and the Redis database of CELERY_BROKER_URL (default
redis://127.0.0.1:6379/3).
"""

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A scratch database of its own (BENCH_TRIAGE_DB), so parallel runs never share one.
DB_NAME = os.environ.get("BENCH_TRIAGE_DB", "bench_triage")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def line(label, values_ms):
    print(
        f"  {label:<34} p50 {percentile(values_ms, 50):7.3f} ms   p99 {percentile(values_ms, 99):7.3f}"
        f" ms   mean {statistics.fmean(values_ms):7.3f} ms   max {max(values_ms):7.3f} ms"
    )


def reset_database():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0", "--noinput"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": DATABASE_URL},
        check=True,
    )


def drop_database():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def corpus(n):
    from triage.corpus import TRAIN, split_rows

    texts = [row["text"] for row in split_rows(ROOT / "data" / "triage_corpus", TRAIN)]
    for name in ("triage_eval.csv", "triage_train_seed.csv"):
        with open(ROOT / "data" / name, encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    # Vary each text a little (an order number, a store) so no two of the 10,000 are the same.
    return [f"{texts[i % len(texts)]}（订单尾号{i:05d}，门店{i % 97}）" for i in range(n)]


def bench_engine(texts):
    from triage import learned
    from triage.engine import TriageInput, triage
    from triage.selectors import model_active, rules_compiled, triage_text
    from triage.services import triage_model_train

    triage_model_train()
    rules = rules_compiled()
    model = model_active()
    assert isinstance(model, learned.LearnedModel)

    print(f"\n1. engine, {len(texts)} texts, {len(rules.signals)} signals, "
          f"{sum(len(s.patterns) for s in rules.signals)} patterns")  # fmt: skip
    for label, use_model in (("rules only", None), ("rules + model", model)):
        for text in texts[:200]:  # warm up
            triage(rules, TriageInput(text=text), model=use_model)
        timings = []
        for text in texts:
            started = time.perf_counter()
            triage(rules, TriageInput(text=text, channel="store"), model=use_model)
            timings.append((time.perf_counter() - started) * 1000)
        line(label, timings)

    timings = []
    for text in texts[:2000]:
        started = time.perf_counter()
        triage_text(text=text, channel="store")
        timings.append((time.perf_counter() - started) * 1000)
    print("\n2. triage_text: the engine plus its two 'has anything changed' queries")
    line("triage_text, 2000 texts", timings)
    lengths = [len(t) for t in texts]
    print(f"  text length: mean {statistics.fmean(lengths):.0f}, max {max(lengths)} characters")
    bench_model_load()


def rss_mb() -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return 0.0


def bench_model_load():
    """What loading the active model costs a fresh process: time and resident memory."""
    code = (
        "import time, django; django.setup();"
        "from bench.bench_triage import rss_mb;"
        "from triage.models import TriageModel;"
        "from triage.normalize import normalize;"
        "blob = bytes(TriageModel.objects.filter(is_active=True).latest('created_at').blob);"
        "before = rss_mb(); started = time.perf_counter();"
        "from triage import learned;"
        "model = learned.loads(blob); model.opinion(normalize('warm up'));"
        "print(f'{(time.perf_counter() - started) * 1000:.1f} {rss_mb() - before:.1f} {len(blob) / 1e6:.2f}')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": DATABASE_URL},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    print("\n4. loading the model in a fresh Django process (NumPy only, no scikit-learn)")
    print(f"  import + load + first opinion {out[0]} ms, resident memory +{out[1]} MB,"
          f" artefact {out[2]} MB")  # fmt: skip


def bench_intake(n):
    from django.contrib.auth.models import Group

    from cases import services as case_services
    from cases import signals
    from core.models import Store
    from escalation.receivers import triage as triage_receivers
    from tests.factories import UserFactory

    store = Store.objects.create(code="B001", name="基准门店")
    user = UserFactory(username="bench-handler")
    user.groups.add(Group.objects.get(name="handler"))
    texts = corpus(2 * n + 20)

    def create(i):
        intake = case_services.CaseIntake(
            title="顾客投诉",
            description=texts[i],
            channel="store",
            category="other",
            store=store,
            customer_phone=f"139{i:08d}",
        )
        user_fresh = type(user).objects.get(pk=user.pk)  # fresh permission cache, like a request
        started = time.perf_counter()
        case_services.case_create(intake=intake, actor=user_fresh)
        return (time.perf_counter() - started) * 1000

    def run(connected, count, offset):
        if not connected:
            signals.case_created.disconnect(dispatch_uid="escalation.triage.case_created")
        try:
            return [create(offset + i) for i in range(count)]
        finally:
            if not connected:
                signals.case_created.connect(
                    triage_receivers.on_case_created, dispatch_uid="escalation.triage.case_created"
                )

    with_triage, without = [], []
    for block in range(10):  # alternate blocks so drift hits both sides equally
        size = max(1, n // 10)
        without += run(False, size, 2 * block * size)
        with_triage += run(True, size, (2 * block + 1) * size)
    print(f"\n3. intake (case_create + after-commit receivers), {len(with_triage)} cases each")
    line("without triage", without)
    line("with triage", with_triage)
    print(
        f"  triage adds: p50 {percentile(with_triage, 50) - percentile(without, 50):+.3f} ms, "
        f"mean {statistics.fmean(with_triage) - statistics.fmean(without):+.3f} ms"
    )

    from cases.models import Case
    from escalation.triage_flow import case_triage

    # The triage step alone (read the case, its notes and history, triage, record the run),
    # on cases whose level does not change, i.e. without the consequences of a raised level.
    ids = list(Case.objects.values_list("pk", flat=True)[:n])
    timings = []
    for case_id in ids:
        started = time.perf_counter()
        case_triage(case_id=case_id, trigger="manual")
        timings.append((time.perf_counter() - started) * 1000)
    line("case_triage alone (level unchanged)", timings)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()

    reset_database()
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    # Anything the receivers enqueue goes to this benchmark's own Redis database.
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/3")
    os.environ.setdefault("REDIS_URL", os.environ["CELERY_BROKER_URL"])
    import django

    django.setup()
    import warnings

    warnings.filterwarnings("ignore")
    try:
        bench_engine(corpus(args.texts))
        bench_intake(args.cases)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database()


if __name__ == "__main__":
    main()
