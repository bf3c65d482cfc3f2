"""Health: `GET /healthz` (liveness) and `GET /readyz` (deep status), and the same deep status on
an admin page for supervisors.

- `/healthz` answers 200 when this web process and its database answer, 503 otherwise: what a
  load balancer needs. It does not ask Redis or the workers, so a worker outage never takes the
  web nodes out of service, and it never waits on a broker.
- `/readyz` checks the database, Redis, a Celery worker (a ping, remembered for
  `WORKER_PING_CACHE_SECONDS` per process so probes do not flood the broker), beat and the SLA
  sweeper (the sweeper's heartbeat younger than `SWEEPER_STALE_AFTER`), the alert outbox
  (deliveries waiting longer than `OUTBOX_STALE_AFTER`) and the after-commit hand-offs (cases
  missing them for longer than `HANDOFF_OVERDUE_AFTER`); 503 with `problems` naming what is wrong.

Both need no login and carry no secrets: up/down, times and counts. `HEAD` works too.
"""

import logging
import threading
import time
from datetime import timedelta

import redis
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from escalation import selectors
from escalation.handoffs import cases_missing_handoffs
from notifications.selectors import notification_backlog

logger = logging.getLogger(__name__)

SWEEPER_STALE_AFTER = timedelta(minutes=2)
OUTBOX_STALE_AFTER = timedelta(minutes=5)
# The reconcile sweep completes a missing hand-off within about 90 s; after this it is a problem.
HANDOFF_OVERDUE_AFTER = timedelta(minutes=5)
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


def readiness(*, now=None) -> tuple[bool, dict]:
    """The deep status: every dependency of the desk, and the names of those that are wrong."""
    now = now or timezone.now()
    database = _database_ok()
    heartbeat = selectors.sweeper_last_run() if database else None
    redis_up = _redis_ok()
    worker = _worker_ok() if redis_up else False
    last_run = heartbeat.last_run_at if heartbeat else None
    sweeper_fresh = sweeper_is_fresh(last_run, now)
    waiting, oldest = (
        notification_backlog(now=now, older_than=OUTBOX_STALE_AFTER) if database else (0, None)
    )
    missing = (
        cases_missing_handoffs(now=now - HANDOFF_OVERDUE_AFTER, limit=1000).count()
        if database
        else 0
    )
    # Beat schedules the sweeps and a worker runs them: a stale sweeper with a live worker
    # points at beat.
    beat = "ok" if sweeper_fresh else ("stale" if worker else "unknown")
    body = {
        "database": "ok" if database else "down",
        "redis": "ok" if redis_up else "down",
        "worker": "ok" if worker else "down",
        "beat": beat,
        "sweeper": {
            "status": "ok" if sweeper_fresh else "stale",
            "last_run_at": last_run.isoformat() if last_run else None,
            "seconds_ago": round((now - last_run).total_seconds(), 1) if last_run else None,
        },
        "outbox": {
            "status": "ok" if not waiting else "backlog",
            "waiting": waiting,
            "oldest_seconds": round((now - oldest).total_seconds()) if oldest else None,
        },
        "handoffs": {"status": "ok" if not missing else "missing", "cases": missing},
    }
    problems = [
        name
        for name in ("database", "redis", "worker", "beat", "sweeper", "outbox", "handoffs")
        if (body[name] if isinstance(body[name], str) else body[name]["status"]) != "ok"
    ]
    body = {"status": "ok" if not problems else "unavailable", "problems": problems, **body}
    return not problems, body


@never_cache
@require_safe
def healthz(request):
    """Liveness: this web process answers and so does its database. Workers, beat and Redis are
    /readyz's business: a load balancer must not take every web node out because of a worker."""
    database = _database_ok()
    return JsonResponse(
        {"status": "ok" if database else "unavailable", "database": "ok" if database else "down"},
        status=200 if database else 503,
    )


@never_cache
@require_safe
def readyz(request):
    ok, body = readiness()
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
@require_safe
def system_status(request):
    """The deep status for supervisors, in the admin's look."""
    if not request.user.is_active or not request.user.is_staff:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not request.user.has_perm("escalation.view_system_status"):
        raise PermissionDenied
    ok, body = readiness()
    states = {
        "ok": _("OK"), "down": _("down"), "stale": _("stale"), "unknown": _("unknown"),
        "backlog": _("backlog"), "missing": _("missing"),
    }  # fmt: skip
    context = {
        **admin.site.each_context(request),
        "title": _("System status"),
        "ok": ok,
        "status": body,
        "rows": [
            (_("Database"), body["database"], ""),
            (_("Redis (broker)"), body["redis"], ""),
            (_("Celery worker"), body["worker"], ""),
            (_("Celery beat"), body["beat"], ""),
            (
                _("SLA sweeper"),
                body["sweeper"]["status"],
                _("last run %(seconds)s s ago") % {"seconds": body["sweeper"]["seconds_ago"]}
                if body["sweeper"]["last_run_at"]
                else _("never ran"),
            ),
            (
                _("Alert outbox"),
                body["outbox"]["status"],
                _("%(count)d waiting deliveries") % {"count": body["outbox"]["waiting"]},
            ),
            (
                _("After-commit hand-offs"),
                body["handoffs"]["status"],
                _("%(count)d cases missing clocks, triage or red alert")
                % {"count": body["handoffs"]["cases"]},
            ),
        ],
    }
    context["rows"] = [
        (name, state, states[state], detail) for name, state, detail in context["rows"]
    ]
    return TemplateResponse(request, "escalation/system_status.html", context)
