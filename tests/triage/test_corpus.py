"""The labelled corpus: big and varied enough, every row with its provenance, and the blind
split kept out of everything that trains."""

import json

import pytest
from django.conf import settings
from django.utils import translation

from triage.corpus import (
    BLIND,
    TRAIN,
    read_rows,
    split_rows,
    text_hash,
    training_rows,
    without_blind,
)
from triage.services import shipped_training_rows

CORPUS = settings.BASE_DIR / "data" / "triage_corpus"


def test_the_corpus_meets_the_sizes_the_desk_asked_for():
    train, blind = split_rows(CORPUS, TRAIN), split_rows(CORPUS, BLIND)
    rows = train + blind

    assert len(rows) >= 2000
    assert sum(r["level"] == "red" for r in rows) >= 400
    assert sum(r["family"] in ("N4", "N5") for r in rows) >= 300
    assert len(blind) >= 500


def test_every_row_says_who_wrote_it_and_writers_of_the_blind_split_wrote_nothing_else():
    train, blind = split_rows(CORPUS, TRAIN), split_rows(CORPUS, BLIND)

    assert all(r["source"].startswith("writer:") and r["id"] for r in train + blind)
    assert not {r["source"] for r in train} & {r["source"] for r in blind}


def test_no_blind_text_reaches_training():
    blind = {text_hash(r["text"]) for r in split_rows(CORPUS, BLIND)}

    assert blind
    assert not blind & {text_hash(r["text"]) for r in training_rows(CORPUS)}
    assert not blind & {text_hash(r["text"]) for r in shipped_training_rows()}


def test_a_text_in_both_splits_is_dropped_from_training_only(tmp_path):
    for split, rows in ((TRAIN, ["外卖晚了", "面包发霉了"]), (BLIND, ["外 卖 晚 了！"])):
        (tmp_path / split).mkdir()
        (tmp_path / split / "w.jsonl").write_text(
            "".join(json.dumps({"text": t, "level": "blue"}) + "\n" for t in rows),
            encoding="utf-8",
        )

    assert [r["text"] for r in training_rows(tmp_path)] == ["面包发霉了"]


def test_a_writers_channel_is_the_medium_not_an_intake_fact(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"text": "差评", "level": "blue", "channel": "social_media"}) + "\n")

    (row,) = read_rows(path)

    assert (row["channel"], row["medium"]) == ("", "social_media")


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json\n", "not valid JSON"), ('{"text": "x", "level": "purple"}\n', "level")],
)
def test_a_bad_corpus_line_is_refused_with_its_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "外卖晚了", "level": "blue"}\n' + content, encoding="utf-8")

    with translation.override("en"), pytest.raises(ValueError, match=message) as error:
        read_rows(path)

    assert "line 2" in str(error.value)


def test_a_blind_text_typed_into_a_case_is_kept_out_of_training_too():
    blind_text = split_rows(CORPUS, BLIND)[0]["text"]
    case_text = f"顾客反馈\n{blind_text}\n顾客补充：希望尽快处理"

    assert without_blind([{"text": case_text, "level": "red"}], CORPUS) == []


@pytest.mark.django_db
def test_training_refuses_the_blind_split_as_a_seed_file():
    from triage.services import triage_model_train

    with translation.override("en"), pytest.raises(ValueError, match="blind split"):
        triage_model_train(seed_path=CORPUS / BLIND)
