"""The Celery application: `celery -A config worker` / `celery -A config beat`.

Workers and beat load the production settings unless `DJANGO_SETTINGS_MODULE` says otherwise,
like the WSGI entry point: what runs in production is what was checked with `check --deploy`.
`make run` names the local settings itself.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("complaint_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
