"""What people do, in a real browser: store staff report on a phone and see the live risk
preview; a handler opens the case from the list, responds and resolves; a supervisor
acknowledges an escalation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import Case
from escalation.models import Escalation
from escalation.services import sla_sweep
from tests.browser.conftest import log_in
from tests.factories import StoreFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RED = "顾客说孩子吃了我们店的酸奶后一直拉肚子，已经去了医院，还说要发到微博上曝光。"


@pytest.fixture
def desk():
    store = StoreFactory(code="SH001", name="上海徐汇店")
    return {
        "store": store,
        "staff": UserFactory(username="store_staff", roles=["store_staff"], stores=[store]),
        "handler": UserFactory(username="handler", roles=["handler"], is_staff=True),
        "supervisor": UserFactory(username="supervisor", roles=["supervisor"], is_staff=True),
    }


def test_store_staff_report_on_a_phone_and_see_the_live_risk_preview(desk, phone, shot):
    log_in(phone, "/login/", "store_staff")
    phone.goto("/cases/new/")
    phone.fill("input[name=title]", "酸奶致孩子腹泻")
    phone.fill("textarea[name=description]", RED)
    phone.select_option("select[name=category]", "food_safety")
    phone.select_option("select[name=channel]", "store")
    preview = phone.locator("#risk-preview")
    preview.wait_for(state="visible", timeout=10_000)
    phone.wait_for_function(
        "document.querySelector('#risk-preview [data-level]').textContent.includes('红')"
    )
    shot(phone, "store-report-phone")

    phone.click("#report-form button[type=submit]")
    phone.wait_for_url("**/cases/KS-*/")

    case = Case.objects.get()
    assert case.risk_level == "red"
    assert case.number in phone.content()
    shot(phone, "store-case-phone")


def test_a_handler_opens_the_case_from_the_list_responds_and_resolves(desk, desktop, shot):
    case, _created = case_services.case_create(
        intake=case_services.CaseIntake(
            title="酸奶致孩子腹泻", description=RED, channel="store", category="food_safety",
            store=desk["store"],
        ),
        actor=desk["staff"],
    )  # fmt: skip
    log_in(desktop, "/admin/login/", "handler")
    desktop.goto("/admin/cases/case/")
    shot(desktop, "desk-case-list")
    desktop.click(f"text={case.number}")
    desktop.wait_for_selector("#case-header")
    assert "红" in desktop.inner_text("#case-header")
    shot(desktop, "desk-case-page")

    desktop.click("#case-header a.button >> nth=0")  # the first next action: respond
    desktop.fill("textarea[name=note]", "已致电顾客致歉，正在核实批次。")
    desktop.click("input[type=submit][value]")
    desktop.wait_for_selector("#case-header")
    desktop.goto(f"/admin/cases/case/{case.pk}/transition/resolve/")
    desktop.fill("textarea[name=resolution]", "全额退款并补偿，门店已下架同批次。")
    desktop.click("input[type=submit][value]")
    desktop.wait_for_selector("#case-header")

    case.refresh_from_db()
    assert case.state == "resolved"
    assert "已解决" in desktop.inner_text("#case-header")


def test_a_supervisor_acknowledges_an_escalation(desk, desktop, shot):
    case, _created = case_services.case_create(
        intake=case_services.CaseIntake(
            title="冷柜故障", description="冷柜温度过高，顾客投诉牛奶变质。", channel="store",
            category="spoiled_expired", store=desk["store"],
            received_at=timezone.now() - timedelta(hours=3),
        ),
        actor=desk["staff"],
    )  # fmt: skip
    sla_sweep(now=timezone.now())
    escalation = Escalation.objects.filter(case=case).order_by("level").first()
    assert escalation is not None

    log_in(desktop, "/admin/login/", "supervisor")
    desktop.goto("/admin/escalation/escalation/?acknowledged=no")
    desktop.check(f"input[name=_selected_action][value='{escalation.pk}']")
    desktop.select_option("select[name=action]", "acknowledge")
    desktop.click("button[name=index], #changelist-form button[type=submit]")
    desktop.wait_for_load_state("networkidle")
    shot(desktop, "desk-escalation-acknowledged")

    escalation.refresh_from_db()
    assert escalation.acknowledged_at is not None
