"""The scheduled retrain: it replaces the active model only with one that learned from something
new, and never a model a person chose."""

import csv

import pytest

from triage.models import TriageModel
from triage.services import triage_model_activate
from triage.tasks import triage_retrain

pytestmark = pytest.mark.django_db

ROWS = (
    [(f"这次真的翻车了，第{i}家门店的事情", "red") for i in range(12)]
    + [(f"第{i}次买到的面包有点发霉", "yellow") for i in range(12)]
    + [(f"第{i}单外卖送晚了一点", "blue") for i in range(12)]
)


@pytest.fixture
def seed(settings, tmp_path):
    settings.TRIAGE_CORPUS_DIR = tmp_path / "no-corpus"
    settings.TRIAGE_SEED_CSV = tmp_path / "seed.csv"

    def write(rows):
        with open(settings.TRIAGE_SEED_CSV, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "level"])
            writer.writerows(rows)

    write(ROWS)
    return write


def test_a_retrain_on_unchanged_data_keeps_the_active_model(seed):
    first = triage_retrain()

    again = triage_retrain()

    assert again == first
    assert TriageModel.objects.count() == 1


def test_a_retrain_on_new_data_replaces_the_active_model(seed):
    first = triage_retrain()
    seed([*ROWS, ("孩子吃完拉肚子了，去了医院", "red")])

    second = triage_retrain()

    assert second != first
    assert list(TriageModel.objects.filter(is_active=True).values_list("pk", flat=True)) == [second]


def test_a_model_a_person_chose_is_not_replaced_by_the_retrain(seed):
    chosen = triage_retrain()
    triage_model_activate(model_id=chosen, pinned=True)
    seed([*ROWS, ("孩子吃完拉肚子了，去了医院", "red")])

    assert triage_retrain() == chosen
    assert TriageModel.objects.count() == 1
    assert TriageModel.objects.get(is_active=True).pk == chosen
