"""Settings shared by every environment; everything configurable comes from the environment.

Every variable read here is listed, with its default and meaning, in `.env.example`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in alerts point here; by default the address `make run` serves (it follows WEB_PORT).
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env('WEB_PORT', default='8000')}").rstrip(
    "/"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "core.apps.LoginProtectionConfig",
    "core",
    "cases",
    "playbooks",
    "notifications",
    "triage",
    "escalation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulBytesMiddleware",
    "core.middleware.RequestBodyGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: answers a locked-out login with the lockout page (django-axes).
    "axes.middleware.AxesMiddleware",
]

# Login protection (django-axes): failed passwords are counted per account *and* address, so a
# guesser is stopped without locking out the account's owner elsewhere or the colleagues behind
# the same store NAT. A successful login clears the count; supervisors unlock in the admin
# (Axes → access attempts) or with `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
AXES_LOCKOUT_TEMPLATE = "core/lockout.html"
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite file in the project unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers queue instead of
    # failing with "database is locked" half-way through; the timeout is how long they queue.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "store:login"
LOGIN_REDIRECT_URL = "store:case_list"
LOGOUT_REDIRECT_URL = "store:login"

# Chinese first: zh-hans is the default, English is complete.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# locale_vendor: Chinese for third-party apps that ship none (django-axes).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# How far back `received_at` may lie when a case is entered (older dates are taken for typos).
CASE_MAX_BACKDATE_DAYS = env.int("CASE_MAX_BACKDATE_DAYS", default=30)

# Attachments: what a case may carry.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Images with more pixels are refused (a phone photo has 12-50 million).
ATTACHMENT_MAX_PIXELS = env.int("ATTACHMENT_MAX_PIXELS", default=80_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
# A multipart upload as a whole (the store form takes up to 10 files at once).
REQUEST_MAX_UPLOAD_BYTES = env.int(
    "REQUEST_MAX_UPLOAD_BYTES", default=10 * ATTACHMENT_MAX_BYTES + 1024 * 1024
)

# Redis: Celery broker and cache.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
    }
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a web request gives up fast when Redis is down: the work is not lost (the outbox
# rows stay due, the hand-off reconcile completes cases), and the request must not hang on it.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.05,
    "interval_max": 0.05,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.5}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Queues: time-critical work never waits behind bulk work. `deadlines` holds the SLA sweep, its
# nudges and the hand-off reconcile; `alerts` the first send of every alert; `bulk` retries of
# failed sends, re-queueing and retraining; `celery` the rest. Run a worker of its own on
# `deadlines` (and one on `alerts`) so that a mail or IM outage, whose retries pile up in `bulk`,
# never delays a sweep (docs/deploy.md). `make run` starts that layout.
CELERY_TASK_DEFAULT_QUEUE = "celery"
QUEUE_DEADLINES, QUEUE_ALERTS, QUEUE_BULK = "deadlines", "alerts", "bulk"
CELERY_TASK_ROUTES = {
    "escalation.tasks.*": {"queue": QUEUE_DEADLINES},
    "notifications.deliver": {"queue": QUEUE_ALERTS},
    "notifications.requeue_due": {"queue": QUEUE_BULK},
    "triage.tasks.triage_retrain": {"queue": QUEUE_BULK},
}
CELERY_BEAT_SCHEDULE: dict = {}
# Exactly one beat (config/beat_lock.py): a second one exits; a dead one's lock expires after this.
BEAT_LOCK_TTL_SECONDS = env.int("BEAT_LOCK_TTL_SECONDS", default=30)
# SLA sweeper: finds clocks whose next threshold has come (escalation.tasks). Stale sweeps expire
# rather than pile up while no worker is there to run them.
SLA_SWEEP_INTERVAL_SECONDS = env.float("SLA_SWEEP_INTERVAL_SECONDS", default=2.0)
CELERY_BEAT_SCHEDULE["escalation-sla-sweep"] = {
    "task": "escalation.tasks.sla_sweep",
    "schedule": SLA_SWEEP_INTERVAL_SECONDS,
    "options": {"expires": max(SLA_SWEEP_INTERVAL_SECONDS * 5, 10)},
}
# Durable hand-offs (escalation.handoffs): every minute, open cases committed more than the grace
# period ago (and within the lookback) that miss their clocks, triage or red alert get them.
HANDOFF_RECONCILE_INTERVAL_SECONDS = env.float("HANDOFF_RECONCILE_INTERVAL_SECONDS", default=60.0)
HANDOFF_GRACE_SECONDS = env.int("HANDOFF_GRACE_SECONDS", default=30)
HANDOFF_LOOKBACK_DAYS = env.int("HANDOFF_LOOKBACK_DAYS", default=7)
CELERY_BEAT_SCHEDULE["escalation-handoff-reconcile"] = {
    "task": "escalation.tasks.handoff_reconcile",
    "schedule": HANDOFF_RECONCILE_INTERVAL_SECONDS,
    "options": {"expires": max(HANDOFF_RECONCILE_INTERVAL_SECONDS, 30)},
}
# Risk triage: retrain the learned layer from the levels handlers settled on (default daily).
TRIAGE_RETRAIN_INTERVAL_SECONDS = env.float("TRIAGE_RETRAIN_INTERVAL_SECONDS", default=86400.0)
CELERY_BEAT_SCHEDULE["triage-retrain"] = {
    "task": "triage.tasks.triage_retrain",
    "schedule": TRIAGE_RETRAIN_INTERVAL_SECONDS,
    "options": {"expires": 3600},
}

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Client addresses (for the login throttle) come from REMOTE_ADDR unless this many trusted
    # proxies add X-Forwarded-For; otherwise a client could pick its own address.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Password attempts per minute (or /hour) from one address on POST /api/v1/auth/token/.
LOGIN_THROTTLE_RATE = env("LOGIN_THROTTLE_RATE", default="10/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Escalated-complaint desk API",
    "DESCRIPTION": "Intake and status of escalated complaint cases.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files, not a CDN (often unreachable from mainland China)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseCategoryEnum": "cases.models.Category",
        "CaseChannelEnum": "cases.models.Channel",
        "RiskLevelEnum": "cases.models.RiskLevel",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Email: the SMTP backend whenever EMAIL_HOST is set, otherwise mail is printed to the console.
EMAIL_HOST = env("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="complaint-desk@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# Alert delivery (notifications): retries with exponential backoff, then `failed`.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_RETRY_BACKOFF = env.float("NOTIFICATIONS_RETRY_BACKOFF", default=5.0)
NOTIFICATIONS_RETRY_BACKOFF_MAX = env.float("NOTIFICATIONS_RETRY_BACKOFF_MAX", default=600.0)
NOTIFICATIONS_HTTP_TIMEOUT = env.float("NOTIFICATIONS_HTTP_TIMEOUT", default=10.0)
NOTIFICATIONS_STUCK_AFTER = env.int("NOTIFICATIONS_STUCK_AFTER", default=300)
# How often beat re-queues due deliveries whose task message was lost, and resets stuck ones.
NOTIFICATIONS_REQUEUE_INTERVAL_SECONDS = env.float(
    "NOTIFICATIONS_REQUEUE_INTERVAL_SECONDS", default=60.0
)
CELERY_BEAT_SCHEDULE["notifications-requeue-due"] = {
    "task": "notifications.requeue_due",
    "schedule": NOTIFICATIONS_REQUEUE_INTERVAL_SECONDS,
    "options": {"expires": 120},
}
# urllib3 logs request URLs at DEBUG, and webhook URLs carry the robots' tokens.
LOGGING.setdefault("loggers", {})["urllib3"] = {"level": "WARNING"}
# A body too large that slips past the door (no Content-Length) is a client's mistake, not a
# server error: a one-line warning, no traceback at ERROR.
LOGGING.setdefault("filters", {})["client_mistake"] = {"()": "core.logging.ClientMistakeFilter"}
LOGGING["loggers"]["django.security.RequestDataTooBig"] = {
    "handlers": ["console"],
    "filters": ["client_mistake"],
    "propagate": False,
}
