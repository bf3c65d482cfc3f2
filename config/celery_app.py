"""The Celery application: `celery -A config worker` / `celery -A config beat`.

Workers and beat load the production settings unless `DJANGO_SETTINGS_MODULE` says otherwise,
like the WSGI entry point: what runs in production is what was checked with `check --deploy`.
`make run` names the local settings itself.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from celery.signals import beat_init  # noqa: E402

app = Celery("complaint_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def _exactly_one_beat(sender=None, **kwargs):
    from config.beat_lock import on_beat_init

    on_beat_init(sender=sender, **kwargs)
