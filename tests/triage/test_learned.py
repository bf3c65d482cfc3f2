"""The learned layer: trained from the seed CSV plus registered sources, stored, activated,
used to raise a level; a fresh install has no model and triage runs on rules alone."""

import csv
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from triage import learned
from triage.models import TriageModel
from triage.selectors import model_active, triage_text
from triage.services import seed_csv_path, triage_model_train
from triage.tasks import triage_retrain

pytestmark = pytest.mark.django_db

# Seed rows that teach the model a word no rule knows: "翻车" (a public fiasco) means red.
TEACHING = (
    [(f"这次真的翻车了，第{i}家门店的事情", "red") for i in range(12)]
    + [(f"第{i}次买到的面包有点发霉", "yellow") for i in range(12)]
    + [(f"第{i}单外卖送晚了一点", "blue") for i in range(12)]
)


@pytest.fixture
def teaching_csv(tmp_path):
    path = tmp_path / "seed.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "level"])
        writer.writerows(TEACHING)
    return path


def test_a_fresh_install_has_no_model_and_triages_on_rules_alone():
    result = triage_text(text="我要曝光你们")

    assert model_active() is None
    assert (result.level, result.model_version) == ("red", None)


def test_training_stores_an_active_model_that_can_raise_a_level(teaching_csv):
    row = triage_model_train(seed_path=teaching_csv)

    result = triage_text(text="这次真的翻车了，第99家门店的事情")
    assert (row.is_active, row.seed_rows, row.label_counts["red"]) == (True, 36, 12)
    assert (result.rule_level, result.level, result.model_version) == ("blue", "red", row.pk)
    assert result.reasons[-1]["code"] == "model"


def test_a_new_model_replaces_the_previous_one(teaching_csv):
    first = triage_model_train(seed_path=teaching_csv)
    second = triage_model_train(seed_path=teaching_csv)

    assert list(TriageModel.objects.filter(is_active=True)) == [second]
    assert model_active().version == second.pk != first.pk


def test_too_little_data_trains_nothing(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("text,level\n曝光,red\n送晚了,blue\n", encoding="utf-8")

    with pytest.raises(learned.NotEnoughData):
        triage_model_train(seed_path=path)
    assert not TriageModel.objects.exists()


def test_the_periodic_retrain_skips_quietly_when_there_is_nothing_to_learn(settings, tmp_path):
    settings.TRIAGE_SEED_CSV = tmp_path / "missing.csv"
    settings.TRIAGE_CORPUS_DIR = tmp_path / "no-corpus"

    assert triage_retrain() is None
    assert not TriageModel.objects.exists()


def test_triage_train_command_trains_from_the_shipped_seed():
    call_command("triage_train")

    row = TriageModel.objects.get()
    assert row.seed_rows >= 150
    assert set(row.label_counts) == {"red", "yellow", "blue"}


def test_triage_train_command_reports_a_bad_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("words,label\n曝光,red\n", encoding="utf-8")

    with translation.override("en"), pytest.raises(CommandError, match="missing column"):
        call_command("triage_train", "--seed", str(path))


def test_a_row_without_a_level_is_refused_with_its_line_number(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,level\n曝光,red\n送晚了,\n", encoding="utf-8")

    with translation.override("en"), pytest.raises(CommandError, match="line 3"):
        call_command("triage_train", "--seed", str(path))


def test_deleting_the_active_model_brings_the_previous_one_back(teaching_csv):
    now = timezone.now()
    previous = triage_model_train(seed_path=teaching_csv, now=now - timedelta(days=1))
    newest = triage_model_train(seed_path=teaching_csv, now=now)
    assert model_active().version == newest.pk

    newest.delete()

    previous.refresh_from_db()
    assert previous.is_active
    assert model_active().version == previous.pk
    assert triage_text(text="这次真的翻车了，第99家门店的事情").model_version == previous.pk


def test_deleting_an_inactive_model_changes_nothing(teaching_csv):
    now = timezone.now()
    older = triage_model_train(seed_path=teaching_csv, now=now - timedelta(days=1))
    active = triage_model_train(seed_path=teaching_csv, now=now)

    older.delete()

    assert list(TriageModel.objects.filter(is_active=True)) == [active]


def test_a_superuser_deletes_the_newest_model_in_the_admin_and_the_previous_one_is_used(
    client, teaching_csv
):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    now = timezone.now()
    previous = triage_model_train(seed_path=teaching_csv, now=now - timedelta(days=1))
    newest = triage_model_train(seed_path=teaching_csv, now=now)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:triage_triagemodel_changelist"),
        {"action": "delete_selected", "_selected_action": [newest.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert model_active().version == previous.pk


def test_a_superuser_can_switch_back_to_an_older_model_in_the_admin(client, teaching_csv):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    older = triage_model_train(seed_path=teaching_csv)
    triage_model_train(seed_path=teaching_csv)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:triage_triagemodel_changelist"),
        {"action": "activate", "_selected_action": [older.pk]},
    )

    assert response.status_code == 302
    assert list(TriageModel.objects.filter(is_active=True)) == [older]
    assert model_active().version == older.pk


def test_a_supervisor_sees_the_models_but_cannot_switch_them(client, supervisor, teaching_csv):
    older = triage_model_train(seed_path=teaching_csv)
    newest = triage_model_train(seed_path=teaching_csv)
    client.force_login(supervisor)
    url = reverse("admin:triage_triagemodel_changelist")

    page = client.get(url)
    client.post(url, {"action": "activate", "_selected_action": [older.pk]})

    assert page.status_code == 200
    assert 'value="activate"' not in page.content.decode()
    assert list(TriageModel.objects.filter(is_active=True)) == [newest]


def test_the_shipped_seed_never_contains_a_text_of_the_evaluation_set(settings):
    def texts(path):
        with open(path, encoding="utf-8") as handle:
            return {row["text"] for row in csv.DictReader(handle)}

    assert not texts(seed_csv_path()) & texts(settings.BASE_DIR / "data" / "triage_eval.csv")


def test_the_holdout_set_shares_no_text_with_the_seed_or_the_evaluation_set(settings):
    def texts(name):
        with open(settings.BASE_DIR / "data" / name, encoding="utf-8") as handle:
            return {row["text"] for row in csv.DictReader(handle)}

    holdout = texts("triage_holdout.csv")
    assert len(holdout) >= 40
    assert not holdout & (texts("triage_train_seed.csv") | texts("triage_eval.csv"))
