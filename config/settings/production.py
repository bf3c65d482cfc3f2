"""Production: secure defaults; SECRET_KEY must be set in the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
# The development default (also in .env.example) or a short key is no secret: refuse to start.
if len(SECRET_KEY) < 32 or SECRET_KEY.startswith("dev-only-insecure"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value for production "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
