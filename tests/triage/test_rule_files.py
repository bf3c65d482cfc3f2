"""The shipped rules are data files: loading them is idempotent, an admin edit survives a reload
as an override (until restored), and a bad file is refused with the file and field named."""

import shutil

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from triage.models import Pattern, RuleSet, RuleSetSnapshot, Signal
from triage.selectors import triage_text
from triage.services import rules_dir, triage_rules_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(tmp_path, settings):
    """A copy of the shipped rules that a test may edit, made the shipped ones."""
    directory = tmp_path / "rules"
    shutil.copytree(rules_dir(), directory)
    settings.TRIAGE_RULES_DIR = directory
    return directory


def edit_signal(directory, code, change):
    path = directory / "signals" / f"{code}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_loading_the_same_files_again_changes_nothing():
    version = RuleSet.objects.get().version

    report = triage_rules_load()

    assert report.changed is False
    assert RuleSet.objects.get().version == version


def test_an_edited_file_is_one_new_version_that_triage_uses(
    rules, django_capture_on_commit_callbacks
):
    version = RuleSet.objects.get().version
    assert triage_text(text="顾客说要去找居委会主任", use_model=False).level == "blue"
    edit_signal(rules, "regulator", lambda d: d["patterns"].append("居委会主任"))

    with django_capture_on_commit_callbacks(execute=True):
        report = triage_rules_load()

    assert report.updated == ["regulator"]
    assert RuleSet.objects.get().version == version + 1
    assert RuleSetSnapshot.objects.filter(version=version + 1).exists()
    assert triage_text(text="顾客说要去找居委会主任", use_model=False).level == "red"


def test_a_signal_gone_from_the_files_is_switched_off_not_deleted(rules):
    (rules / "signals" / "privacy.yaml").unlink()

    report = triage_rules_load()

    assert report.retired == ["privacy"]
    assert Signal.objects.get(code="privacy").is_active is False


def test_a_supervisors_admin_edit_survives_loading_the_files_until_restored(
    rules, client, supervisor
):
    signal = Signal.objects.get(code="delivery")
    client.force_login(supervisor)
    changelist = reverse("admin:triage_signal_changelist")
    client.post(
        changelist,
        {
            "form-TOTAL_FORMS": 1, "form-INITIAL_FORMS": 1, "form-0-id": signal.pk,
            "form-0-weight": 50, "form-0-is_active": "on", "form-0-order": signal.order,
            "_save": "Save",
        },
    )  # fmt: skip
    edit_signal(rules, "delivery", lambda d: d.update(weight=4.0))

    report = triage_rules_load()

    signal.refresh_from_db()
    assert (signal.weight, signal.overridden, report.kept_overridden) == (50, True, ["delivery"])

    response = client.post(
        changelist, {"action": "restore_shipped", "_selected_action": [signal.pk]}
    )

    signal.refresh_from_db()
    assert response.status_code == 302
    assert (signal.weight, signal.overridden) == (4.0, False)


def test_a_pattern_added_in_the_admin_stays_when_the_files_are_loaded(rules):
    signal = Signal.objects.get(code="regulator")
    Pattern.objects.create(signal=signal, text="居委会主任")
    edit_signal(rules, "regulator", lambda d: d["patterns"].append("街道办"))

    triage_rules_load()

    texts = set(signal.patterns.values_list("text", flat=True))
    assert {"居委会主任", "街道办"} <= texts


def test_exported_rules_load_back_unchanged(tmp_path):
    call_command("triage_export_rules", str(tmp_path / "out"))

    report = triage_rules_load(directory=tmp_path / "out", force=True)

    assert report.updated == [] and report.created == [] and report.retired == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(min_level="purple"), "min_level"),
        (lambda d: d["patterns"].append({"regex": "(unclosed"}), "unclosed"),
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d.update(context_exempt=["sarcasm"]), "sarcasm"),
    ],
)
def test_a_bad_rule_file_is_refused_naming_the_file_and_field(rules, change, message):
    edit_signal(rules, "media_exposure", change)

    with pytest.raises(CommandError, match=message) as error:
        call_command("triage_load_rules")

    assert "media_exposure.yaml" in str(error.value)
