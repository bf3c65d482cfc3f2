from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services as case_services
from escalation.models import SlaPolicy
from notifications.alerts import AlertKind
from notifications.models import Channel, ChannelKind, Notification, Route

ALL_SLA_KINDS = [
    AlertKind.CASE_RED,
    AlertKind.SLA_WARNING,
    AlertKind.SLA_BREACH,
    AlertKind.ESCALATION,
]


@pytest.fixture(autouse=True)
def _fresh_worker_ping():
    """/healthz remembers a worker ping for a few seconds; each test asks afresh."""
    from escalation.views import worker_ping_cache_clear

    worker_ping_cache_clear()
    yield
    worker_ping_cache_clear()


@pytest.fixture
def postgres_only(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locking with SKIP LOCKED)")


@pytest.fixture
def people(db):
    """Desk people with email addresses, by role (no routes: roles alone must reach them)."""
    from tests.factories import UserFactory

    return {
        role: UserFactory(username=f"{role}-1", email=f"{role}@desk.example", roles=[role])
        for role in ("handler", "supervisor", "manager", "legal_pr")
    }


@pytest.fixture
def intake(store):
    def build(**overrides):
        fields = {
            "title": "酸奶有异味",
            "description": "顾客反映购买的酸奶打开后有异味。",
            "channel": "hotline",
            "category": "spoiled_expired",
            "store": store,
            "customer_name": "张三",
            "customer_phone": "13812345678",
        }
        fields.update(overrides)
        return case_services.CaseIntake(**fields)

    return build


@pytest.fixture
def open_case(handler, intake, django_capture_on_commit_callbacks):
    """Create a case through the cases service and run its after-commit receivers."""

    def create(*, now=None, **overrides):
        now = now or timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            case, _created = case_services.case_create(
                intake=intake(**overrides), actor=handler, now=now
            )
        return case

    return create


@pytest.fixture
def transition(supervisor, django_capture_on_commit_callbacks):
    def run(case, name, *, now=None, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return case_services.case_transition(
                case=case, transition=name, actor=supervisor, data=data, now=now
            )

    return run


@pytest.fixture
def set_risk(supervisor, django_capture_on_commit_callbacks):
    def run(case, level, *, now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return case_services.case_set_risk(
                case=case, level=level, reason="舆情风险", actor=supervisor, now=now
            )

    return run


@pytest.fixture
def webhook_route(db):
    """Every SLA alert goes to one webhook channel (no delivery happens: nothing is committed)."""
    channel = Channel.objects.create(
        name="desk-hook", kind=ChannelKind.WEBHOOK, url="http://127.0.0.1:9/alerts"
    )
    route = Route.objects.create(name="all sla alerts", kinds=ALL_SLA_KINDS)
    route.channels.add(channel)
    return channel


def outbox(**filters) -> list[Notification]:
    return list(Notification.objects.filter(**filters).order_by("pk"))


@pytest.fixture
def red_policy_tightened(db):
    """Red cases must be answered within 20 minutes (stricter than the default hour)."""
    SlaPolicy.objects.filter(risk_level="red", category="", channel="").update(
        first_response_target=timedelta(minutes=20)
    )


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` authenticates with a real token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    class Client(APIClient):
        def as_user(self, user):
            token, _ = Token.objects.get_or_create(user=user)
            self.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            return self

    return Client()
