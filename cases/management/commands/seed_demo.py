"""Demo data: stores, one user per role and about 50 realistic cases, created through the services.

Idempotent: users and stores are updated in place; cases are only created when there are none.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.demo_data import DEMO_CASES, DEMO_STORES
from cases.models import Case, State
from core.models import Store

# (username, role, store codes)
DEMO_USERS = [
    ("store_staff", "store_staff", ["SH001"]),
    ("store_staff_b", "store_staff", ["BJ001"]),
    ("handler", "handler", []),
    ("supervisor", "supervisor", []),
    ("legal_pr", "legal_pr", []),
    ("manager", "manager", []),
]

# how far along the lifecycle each demo case is taken
PATHS = {
    State.NEW: [],
    State.RESPONDED: ["respond"],
    State.RESOLVED: ["respond", "resolve"],
    State.CLOSED: ["respond", "resolve", "close"],
    State.ARCHIVED: ["respond", "resolve", "close", "archive"],
    State.REJECTED: ["reject"],
}
INPUT = {
    "respond": {"note": "已致电顾客致歉，说明正在核实处理，承诺今日内给出方案。"},
    "resolve": {"resolution": "已为顾客全额退款并补偿优惠券，门店完成同批次商品下架排查。"},
    "close": {"close_reason": "customer_confirmed", "note": "回访顾客，顾客表示认可处理结果。"},
    "archive": {},
    "reject": {"reason": "核实为重复提交的咨询，非有效投诉。"},
}


LIVE_RED_CASES = 3


class Command(BaseCommand):
    help = "Create demo stores, one user per role (plus admin) and about 50 demo cases."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo12345", help="Password for every demo user.")
        parser.add_argument("--seed", type=int, default=20261130, help="Random seed.")

    def handle(self, *args, password, seed, **options):
        rng = random.Random(seed)
        with transaction.atomic():
            stores = self._stores()
            users = self._users(password, stores)
        created = 0
        if not Case.objects.exists():
            created = self._cases(rng, stores, users)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {created} cases created."))
        self.stdout.write("Logins (username / password):")
        for username, role, _stores in [*DEMO_USERS, ("admin", "superuser", [])]:
            self.stdout.write(f"  {username:<14} {password}   ({role})")

    def _stores(self) -> dict[str, Store]:
        stores = {}
        for code, name, city, region in DEMO_STORES:
            stores[code], _ = Store.objects.update_or_create(
                code=code, defaults={"name": name, "city": city, "region": region}
            )
        return stores

    def _users(self, password, stores) -> dict:
        User = get_user_model()
        users = {}
        for username, role, store_codes in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = role != "store_staff"
            user.email = f"{username}@example.com"
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            for code in store_codes:
                stores[code].staff.add(user)
            users[username] = user
        admin, _ = User.objects.get_or_create(username="admin")
        admin.is_staff = admin.is_superuser = True
        admin.email = "admin@example.com"
        admin.set_password(password)
        admin.save()
        users["admin"] = admin
        return users

    @staticmethod
    def _age(rng, state) -> timedelta:
        """New cases are minutes old (their first-response warning arrives while a newcomer
        looks); open ones under 18 h (before any close warning); settled ones days old."""
        if state == State.NEW:
            return timedelta(minutes=rng.randint(2, 50))
        if state in (State.RESPONDED, State.RESOLVED):
            return timedelta(minutes=rng.randint(60, 60 * 16))
        return timedelta(minutes=rng.randint(60 * 24, 60 * 24 * 6))

    @staticmethod
    def _step_time(rng, step, *, previous, received_at, now):
        if step in ("respond", "reject"):
            return received_at + timedelta(minutes=rng.randint(8, 40))
        room = max(now - previous, timedelta(minutes=2))
        return previous + min(room / 3, timedelta(hours=rng.randint(2, 6)))

    def _cases(self, rng, stores, users) -> int:
        now = timezone.now()
        codes = list(stores)
        count = 0
        live_red = 0
        for i, (title, description, channel, category, level, state) in enumerate(DEMO_CASES):
            # A calm start: a few red cases are live (each alerts the red audience once); the
            # others are history, handled and closed.
            if level == "red" and state in (State.NEW, State.RESPONDED, State.RESOLVED):
                live_red += 1
                if live_red > LIVE_RED_CASES:
                    state = State.CLOSED
            # the two demo store-staff stores get most cases so that both logins see some
            code = ("SH001", "BJ001")[i % 2] if i % 3 else rng.choice(codes)
            reporter = {"SH001": users["store_staff"], "BJ001": users["store_staff_b"]}.get(
                code, users["handler"]
            )
            age = self._age(rng, state)
            received_at = now - age
            # One transaction per case: its clocks are created after commit from the case as it
            # then is, so a settled case gets no clock to breach and nobody is alerted about the
            # past. Steps are dated as a desk would have done them, each well within its clock.
            with transaction.atomic():
                case, _ = services.case_create(
                    intake=services.CaseIntake(
                        title=title,
                        description=description,
                        channel=channel,
                        category=category,
                        store=stores[code],
                        received_at=received_at,
                        order_ref=f"DD{rng.randint(10**9, 10**10 - 1)}",
                        amount=Decimal(rng.choice([29.9, 58, 128.5, 299, 1280, 36.8])).quantize(
                            Decimal("0.01")
                        ),
                        customer_name=rng.choice(
                            ["王女士", "李先生", "张阿姨", "陈先生", "刘女士"]
                        ),
                        customer_phone=f"13{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}",
                    ),
                    actor=reporter,
                    now=received_at,
                )
                case = Case.objects.get(pk=case.pk)
                if case.risk_level != level:
                    case = services.case_set_risk(
                        case=case,
                        level=level,
                        reason="演示数据：按专家判断设定",
                        actor=None,
                        now=received_at,
                    )
                actor = users["supervisor"] if level == "red" else users["handler"]
                at = received_at
                for step in PATHS[state]:
                    at = self._step_time(rng, step, previous=at, received_at=received_at, now=now)
                    step_actor = users["supervisor"] if step in ("archive", "reject") else actor
                    case = services.case_transition(
                        case=case, transition=step, actor=step_actor, data=INPUT[step], now=at
                    )
            count += 1
        return count
