"""Settings for the Celery worker and beat that the integration tests start.

The test settings, with the periodic safety nets (SLA sweep, notification requeue) run every
second or faster so that a test waits seconds, not the production minute. Nothing else changes.
"""

from config.settings.test import *  # noqa: F403
from config.settings.test import CELERY_BEAT_SCHEDULE as _SCHEDULE

_FAST = {"escalation-sla-sweep": 0.5, "notifications-requeue-due": 1.0}

CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": _FAST[name]} for name, entry in _SCHEDULE.items() if name in _FAST
}
