"""`GET /healthz`: database, Redis, a Celery worker answering, and the sweeper's last run.

Meant for load balancers and monitoring, so it needs no login and says only up/down and times.
Answers 503 when anything is down or the sweeper has not run for `SWEEPER_STALE_AFTER`.
"""

import logging
from datetime import timedelta

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalation import selectors

logger = logging.getLogger(__name__)

SWEEPER_STALE_AFTER = timedelta(minutes=2)
CHECK_TIMEOUT_SECONDS = 1.0


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
    from celery import current_app as app  # the project's app (config loads it at startup)

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
            replies = app.control.ping(timeout=CHECK_TIMEOUT_SECONDS, connection=conn)
        return bool(replies)
    except Exception:
        logger.warning("healthz: worker ping failed", exc_info=True)
        return False


@never_cache
@require_GET
def healthz(request):
    now = timezone.now()
    database = _database_ok()
    heartbeat = selectors.sweeper_last_run() if database else None
    redis_up = _redis_ok()
    worker = _worker_ok() if redis_up else False
    last_run = heartbeat.last_run_at if heartbeat else None
    sweeper_fresh = last_run is not None and now - last_run <= SWEEPER_STALE_AFTER
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
