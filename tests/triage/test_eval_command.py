"""`manage.py triage_eval`: per-level metrics and the confusion matrix, as text or JSON."""

import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text(
        "text,level,channel,category\n"
        "我要曝光你们,red,,\n"
        "顾客来电,red,media,\n"
        "面包发霉了,yellow,,\n"
        "外卖送晚了,blue,,\n"
        "我不会曝光的，不过你们的面包发霉了,blue,,\n",
        encoding="utf-8",
    )
    return path


def test_json_output_has_per_level_metrics_accuracy_and_confusion(small_csv, capsys):
    call_command("triage_eval", str(small_csv), "--json", "--rules-only")

    report = json.loads(capsys.readouterr().out)
    assert report["per_level"]["red"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert report["per_level"]["blue"] == {
        "precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2,
    }  # fmt: skip
    assert report["accuracy"] == 0.8
    assert report["confusion"]["blue"] == {"red": 0, "yellow": 1, "blue": 1}


def test_text_output_is_a_table_with_the_confusion_matrix(small_csv, capsys):
    call_command("triage_eval", str(small_csv))

    out = capsys.readouterr().out
    assert "precision" in out and "confusion" in out and "accuracy 0.800" in out


def test_a_file_without_the_level_column_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text\n曝光\n", encoding="utf-8")

    with pytest.raises(CommandError, match="level"):
        call_command("triage_eval", str(path))


def test_the_shipped_evaluation_set_meets_the_red_goal_on_rules_alone(settings, capsys):
    call_command(
        "triage_eval", str(settings.BASE_DIR / "data" / "triage_eval.csv"), "--json", "--rules-only"
    )

    report = json.loads(capsys.readouterr().out)
    red = report["per_level"]["red"]
    assert report["total"] >= 300
    assert red["recall"] >= 0.95 and red["precision"] >= 0.85


def test_json_keeps_its_keys_and_adds_each_component_and_the_worst_errors(small_csv, capsys):
    call_command("triage_eval", str(small_csv), "--json", "--rules-only")

    report = json.loads(capsys.readouterr().out)
    assert {"per_level", "accuracy", "confusion", "total", "by_component"} <= set(report)
    assert set(report["by_component"]) == {"rules", "combined"}
    assert report["by_component"]["rules"]["accuracy"] == report["accuracy"]
    assert [(e["expected"], e["predicted"]) for e in report["worst_errors"]] == [("blue", "yellow")]


def test_with_a_model_the_model_is_scored_on_its_own_too(small_csv, capsys, settings):
    from triage.services import triage_model_train

    triage_model_train(seed_path=settings.BASE_DIR / "data" / "triage_train_seed.csv")

    call_command("triage_eval", str(small_csv), "--json")

    report = json.loads(capsys.readouterr().out)
    assert set(report["by_component"]) == {"rules", "model", "combined"}
    assert report["by_component"]["model"]["total"] == 5


def test_a_directory_of_json_lines_is_evaluated_row_by_row(tmp_path, capsys):
    (tmp_path / "a.jsonl").write_text(
        '{"text": "孩子吃完拉肚子了", "level": "red", "source": "writer:x"}\n'
        '{"text": "外卖送晚了", "level": "blue"}\n',
        encoding="utf-8",
    )

    call_command("triage_eval", str(tmp_path), "--json", "--rules-only")

    assert json.loads(capsys.readouterr().out)["total"] == 2
