"""Exactly one Celery beat: a second one started by mistake stops at once instead of doubling every
schedule.

At start-up beat takes a lock in Redis (the broker) — a key with a short expiry that a thread
refreshes while beat runs. A second beat that finds the key held by another logs an error and
exits with status 1. When the first beat dies, its key expires after `BEAT_LOCK_TTL_SECONDS` and
a beat started after that takes over. (The work itself is safe to run twice — every crossing and
alert is a unique row — so this guards load, not correctness.)
"""

import atexit
import logging
import os
import socket
import threading
import uuid

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

KEY = "complaint-desk:celery-beat-lock"


def _client():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2)


def beat_lock_acquire() -> str | None:
    """Take the lock; its token, or None when another beat holds it."""
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if _client().set(KEY, token, nx=True, ex=settings.BEAT_LOCK_TTL_SECONDS):
        return token
    return None


def beat_lock_holder() -> str:
    value = _client().get(KEY)
    return value.decode() if value else ""


def _keep(token: str, stop: threading.Event) -> None:
    """Refresh the lock while beat runs. A Redis that restarted empty lost the key: take it
    again. Only a key held by another beat stops this one."""
    interval = max(1.0, settings.BEAT_LOCK_TTL_SECONDS / 3)
    while not stop.wait(interval):
        try:
            client = _client()
            held = client.get(KEY)
            if held is None:
                client.set(KEY, token, nx=True, ex=settings.BEAT_LOCK_TTL_SECONDS)
            elif held.decode() != token:
                logger.error("beat lock taken by %s; stopping this beat", held.decode())
                os._exit(1)
            else:
                client.expire(KEY, settings.BEAT_LOCK_TTL_SECONDS)
        except redis.RedisError:
            logger.warning("could not refresh the beat lock (Redis unavailable)", exc_info=True)


def on_beat_init(sender=None, **kwargs) -> None:
    """`beat_init` receiver: hold the lock for the life of this beat, or stop."""
    token = beat_lock_acquire()
    if token is None:
        logger.error(
            "another Celery beat is running (%s); this one stops. Run exactly one beat "
            "(a beat killed less than %s s ago still holds the lock until it expires).",
            beat_lock_holder(),
            settings.BEAT_LOCK_TTL_SECONDS,
        )
        raise SystemExit(1)
    thread = threading.Thread(
        target=_keep, args=(token, threading.Event()), name="beat-lock", daemon=True
    )
    thread.start()
    # A beat that stops normally hands the lock on at once (a killed one's lock expires).
    atexit.register(beat_lock_release, token)
    logger.info("beat lock taken (%s)", token)


def beat_lock_release(token: str) -> None:
    release = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
    try:
        _client().eval(release, 1, KEY, token)
    except redis.RedisError:
        pass
