"""No English in the Chinese interface: permission names, role names, SLA policy names and
durations, the admin's hidden labels and the error pages."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from core.durations import human_duration
from escalation.models import SlaPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def test_permissions_are_named_in_chinese_on_the_role_page(admin_client):
    role = Group.objects.get(name="handler")

    page = admin_client.get(reverse("admin:auth_group_change", args=[role.pk])).content.decode()

    assert "Can add" not in page and "Can view" not in page
    assert "可查看案件" in page
    assert "Can reveal" not in page


def test_the_user_list_shows_role_labels_not_codes(admin_client, handler):
    page = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()

    assert "客诉专员" in page


def test_the_default_sla_policies_have_chinese_names_and_readable_targets(admin_client):
    page = admin_client.get(reverse("admin:escalation_slapolicy_changelist")).content.decode()

    assert set(SlaPolicy.objects.values_list("name", flat=True)) >= {
        "蓝色预警（默认）", "黄色预警（默认）", "红色预警（默认）",
    }  # fmt: skip
    assert "1 小时" in page and "24 小时" in page
    assert "day," not in page and "default" not in page


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (timedelta(hours=1), "1 小时", "1 hour"),
        (timedelta(hours=24), "24 小时", "24 hours"),
        (timedelta(minutes=45), "45 分钟", "45 minutes"),
        (timedelta(days=1, hours=2), "1 天 2 小时", "1 day 2 hours"),
        (timedelta(days=14), "14 天", "14 days"),
        (timedelta(0), "0 分钟", "0 minutes"),
    ],
)
def test_durations_read_as_words_in_each_language(value, zh, en):
    with translation.override("zh-hans"):
        assert human_duration(value) == zh
    with translation.override("en"):
        assert human_duration(value) == en


def test_the_admin_index_has_no_english_hidden_labels(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "Model name" not in page and "Add link" not in page


def test_a_missing_page_is_explained_in_chinese(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
