"""What runs is what was checked: the WSGI and Celery entry points load the production settings
unless told otherwise, and production refuses to start without a real secret key."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

LOADS = (
    "import {module}, django.conf as c; import os; "
    "print(os.environ['DJANGO_SETTINGS_MODULE'], c.settings.DEBUG, c.settings.SESSION_COOKIE_SECURE)"
)


def run(module, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    clean.pop("SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-c", LOADS.format(module=module)],
        cwd=settings.BASE_DIR,
        env={**clean, "ALLOWED_HOSTS": "desk.example.com", **env},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("module", ["config.wsgi", "config.celery_app"])
def test_the_web_server_and_the_workers_load_the_production_settings(module):
    result = run(module, SECRET_KEY="k" * 50)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False", "True"]


@pytest.mark.parametrize("key", ["", "dev-only-insecure-key-change-me", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(key):
    result = run("config.wsgi", SECRET_KEY=key)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_settings_can_still_be_named(tmp_path):
    result = run("config.wsgi", DJANGO_SETTINGS_MODULE="config.settings.local")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "config.settings.local"
