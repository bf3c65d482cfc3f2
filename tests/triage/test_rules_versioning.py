"""Rules are data: editing them in the admin makes a new version, which triage picks up at once
and records on each run; a bad pattern is refused with a message."""

import contextlib

import pytest
from django.db import transaction
from django.urls import reverse

from triage.models import Pattern, RuleSet, RuleSetSnapshot, Signal
from triage.selectors import rules_compiled, triage_text

pytestmark = pytest.mark.django_db


def version() -> int:
    return RuleSet.objects.get().version


def test_a_new_database_holds_the_shipped_rules_as_version_one_with_its_snapshot():
    ruleset = RuleSet.objects.get()

    assert (ruleset.version, ruleset.rules_edition) == (1, 4)
    assert list(RuleSetSnapshot.objects.values_list("version", flat=True)) == [1]
    assert Signal.objects.filter(shipped=True, overridden=False).count() == Signal.objects.count()


def test_adding_a_pattern_makes_a_new_version_that_triage_uses_immediately(
    django_capture_on_commit_callbacks,
):
    before = version()
    assert triage_text(text="我要去找消费者权益保护委员会").level == "blue"

    with django_capture_on_commit_callbacks(execute=True):
        Pattern.objects.create(signal=Signal.objects.get(code="regulator"), text="消费者权益保护")

    result = triage_text(text="我要去找消费者权益保护委员会")
    assert (result.level, result.ruleset_version) == ("red", before + 1)
    assert RuleSetSnapshot.objects.filter(version=before + 1).exists()


def test_switching_a_signal_off_takes_it_out_of_triage():
    Signal.objects.filter(code="media_exposure").get().delete()

    assert triage_text(text="我要曝光你们").level == "blue"
    assert rules_compiled().spec.version > 1


def test_a_supervisor_edits_a_signal_and_its_patterns_in_the_admin(client, supervisor):
    signal = Signal.objects.get(code="privacy")
    client.force_login(supervisor)
    url = reverse("admin:triage_signal_change", args=[signal.pk])
    patterns = list(signal.patterns.all())
    data = {
        "code": "privacy", "name": "隐私问题", "description": "", "is_active": "on", "order": 10,
        "min_level": "red", "weight": 60, "category": "privacy", "source": "text",
        "negatable": "on", "exclude_context": "", "context_window": 12, "threshold": "",
        "only_with": "",
        "patterns-TOTAL_FORMS": len(patterns) + 1, "patterns-INITIAL_FORMS": len(patterns),
        "patterns-MIN_NUM_FORMS": 0, "patterns-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    for i, p in enumerate(patterns):
        data.update({f"patterns-{i}-id": p.pk, f"patterns-{i}-signal": signal.pk,
                     f"patterns-{i}-text": p.text, f"patterns-{i}-kind": p.kind,
                     f"patterns-{i}-language": p.language, f"patterns-{i}-is_active": "on"})  # fmt: skip
    new = len(patterns)
    data.update({f"patterns-{new}-text": "人肉搜索", f"patterns-{new}-kind": "keyword",
                 f"patterns-{new}-language": "zh", f"patterns-{new}-is_active": "on"})  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 302
    assert triage_text(text="有人对我人肉搜索").level == "red"
    assert version() > 1


def test_the_admin_refuses_a_broken_regular_expression_with_a_message(client, supervisor):
    client.force_login(supervisor)
    data = {
        "code": "broken", "name": "坏规则", "description": "", "is_active": "on", "order": 1,
        "min_level": "yellow", "weight": 10, "category": "", "source": "text",
        "negatable": "on", "exclude_context": "", "context_window": 12, "threshold": "",
        "only_with": "nonexistent",
        "patterns-TOTAL_FORMS": 1, "patterns-INITIAL_FORMS": 0,
        "patterns-MIN_NUM_FORMS": 0, "patterns-MAX_NUM_FORMS": 1000,
        "patterns-0-text": "(unclosed", "patterns-0-kind": "regex", "patterns-0-language": "zh",
        "patterns-0-is_active": "on",
    }  # fmt: skip

    response = client.post(reverse("admin:triage_signal_add"), data)

    assert response.status_code == 200
    assert not Signal.objects.filter(code="broken").exists()
    assert (
        "Invalid regular expression" in response.content.decode()
        or "正则" in response.content.decode()
    )
    assert "nonexistent" in response.content.decode()


def test_a_handler_may_read_the_rules_but_not_change_them(client, handler):
    client.force_login(handler)
    signal = Signal.objects.get(code="privacy")

    response = client.post(reverse("admin:triage_signal_change", args=[signal.pk]), {"weight": 0})

    assert response.status_code == 403
    assert client.get(reverse("admin:triage_signal_changelist")).status_code == 200


def test_handlers_can_look_up_the_runs_of_a_case_and_a_bad_search_is_not_an_error(client, handler):
    client.force_login(handler)
    url = reverse("admin:triage_triagerun_changelist")

    assert client.get(url, {"q": "123"}).status_code == 200
    assert client.get(url, {"q": "不是数字"}).status_code == 200


def test_saving_a_signal_with_its_patterns_in_one_transaction_makes_one_version(
    django_capture_on_commit_callbacks,
):
    before = version()

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            signal = Signal.objects.create(
                code="rumour", name="谣言", min_level="yellow", weight=20
            )
            for text in ("造谣", "谣言", "传谣"):
                Pattern.objects.create(signal=signal, text=text)

    assert version() == before + 1
    assert RuleSetSnapshot.objects.filter(version=before + 1).exists()
    assert triage_text(text="你们店员在造谣").level == "yellow"


def test_an_edit_rolled_back_does_not_keep_the_next_edit_from_making_a_version(
    django_capture_on_commit_callbacks,
):
    before = version()
    signal = Signal.objects.get(code="privacy")

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            with contextlib.suppress(RuntimeError), transaction.atomic():
                Pattern.objects.create(signal=signal, text="人肉")
                raise RuntimeError("the admin form failed after the first save")
            Pattern.objects.create(signal=signal, text="开盒")

    assert version() == before + 1
    assert triage_text(text="有人开盒我").level == "yellow"
    assert triage_text(text="有人人肉我").level == "blue"


def test_each_edit_in_one_transaction_is_seen_by_triage_at_once():
    signal = Signal.objects.get(code="privacy")

    with transaction.atomic():
        Pattern.objects.create(signal=signal, text="开盒")
        first = triage_text(text="有人开盒我，还人肉我").reasons
        Pattern.objects.create(signal=signal, text="人肉")
        second = triage_text(text="有人开盒我，还人肉我").reasons

    assert (first[0]["evidence"], second[0]["evidence"]) == (["开盒"], ["开盒", "人肉"])
