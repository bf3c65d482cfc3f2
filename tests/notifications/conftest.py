import pytest
from django.utils import translation

from config.celery_app import app as celery_app
from tests.support.receiver import Receiver
from tests.support.smtp import SmtpServer


@pytest.fixture
def receiver():
    with Receiver(default_body={"errcode": 0, "errmsg": "ok"}) as running:
        yield running


@pytest.fixture
def smtp_server():
    with SmtpServer() as running:
        yield running


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Django's SMTP backend pointed at the test's own server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "desk@example.com"
    return smtp_server


@pytest.fixture
def eager_tasks():
    """Tasks run in-process when queued (no broker), as the worker would run them."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def fast_retries(settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_RETRY_BACKOFF = 2.0
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX = 60.0
    return settings


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read English messages; the product's default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
