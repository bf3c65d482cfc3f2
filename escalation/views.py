"""`GET /healthz`: database, Redis, a Celery worker answering, and the sweeper's last run.

Meant for load balancers and monitoring, so it needs no login and says only up/down and times.
Answers 503 when anything is down or the sweeper has not run for `SWEEPER_STALE_AFTER`.
`HEAD` works too. The worker ping (a broadcast that waits up to a second) is remembered for
`WORKER_PING_CACHE_SECONDS` per process, so frequent probes do not flood the broker.
"""

import logging
import threading
import time
from datetime import timedelta

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from escalation import selectors

logger = logging.getLogger(__name__)

SWEEPER_STALE_AFTER = timedelta(minutes=2)
# A heartbeat from the future cannot be trusted (a sweep run for another `now`, a broken clock);
# only this much is allowed, for clocks of different hosts that differ slightly.
CLOCK_SKEW_TOLERANCE = timedelta(seconds=5)
CHECK_TIMEOUT_SECONDS = 1.0
WORKER_PING_CACHE_SECONDS = 5.0

_worker_ping_cache: dict[str, tuple[float, bool]] = {}  # broker URL -> (time.time(), answer)
_worker_ping_lock = threading.Lock()


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("healthz: database check failed", exc_info=True)
        return False


def _redis_ok() -> bool:
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        logger.warning("healthz: Redis check failed", exc_info=True)
        return False


def _worker_ok() -> bool:
    key = settings.CELERY_BROKER_URL
    with _worker_ping_lock:
        cached = _worker_ping_cache.get(key)
    if cached is not None and 0 <= time.time() - cached[0] < WORKER_PING_CACHE_SECONDS:
        return cached[1]
    answer = _ping_workers()
    with _worker_ping_lock:
        _worker_ping_cache[key] = (time.time(), answer)
    return answer


def worker_ping_cache_clear() -> None:
    """Forget remembered worker pings (tests; or after restarting the workers)."""
    with _worker_ping_lock:
        _worker_ping_cache.clear()


def _ping_workers() -> bool:
    from celery import current_app as app  # the project's app (config loads it at startup)

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
            replies = app.control.ping(timeout=CHECK_TIMEOUT_SECONDS, connection=conn)
        return bool(replies)
    except Exception:
        logger.warning("healthz: worker ping failed", exc_info=True)
        return False


def sweeper_is_fresh(last_run, now) -> bool:
    if last_run is None:
        return False
    age = now - last_run
    return -CLOCK_SKEW_TOLERANCE <= age <= SWEEPER_STALE_AFTER


@never_cache
@require_safe
def healthz(request):
    now = timezone.now()
    database = _database_ok()
    heartbeat = selectors.sweeper_last_run() if database else None
    redis_up = _redis_ok()
    worker = _worker_ok() if redis_up else False
    last_run = heartbeat.last_run_at if heartbeat else None
    sweeper_fresh = sweeper_is_fresh(last_run, now)
    ok = database and redis_up and worker and sweeper_fresh
    body = {
        "status": "ok" if ok else "unavailable",
        "database": "ok" if database else "down",
        "redis": "ok" if redis_up else "down",
        "worker": "ok" if worker else "down",
        "sweeper": {
            "status": "ok" if sweeper_fresh else "stale",
            "last_run_at": last_run.isoformat() if last_run else None,
            "seconds_ago": round((now - last_run).total_seconds(), 1) if last_run else None,
        },
    }
    return JsonResponse(body, status=200 if ok else 503)
