"""A handler's risk change is kept as a labelled example (text hash, old and new level, reason)
and exported as corpus rows for the next training; the blind split is never given back."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from cases import services as case_services
from triage.corpus import text_hash
from triage.models import TriageFeedback

pytestmark = pytest.mark.django_db


@pytest.fixture
def set_risk(supervisor, django_capture_on_commit_callbacks):
    def run(case, level, reason):
        with django_capture_on_commit_callbacks(execute=True):
            case_services.case_set_risk(case=case, level=level, reason=reason, actor=supervisor)

    return run


def test_a_handlers_risk_change_is_kept_with_the_text_triage_read(open_case, set_risk):
    case = open_case(title="顾客反馈", description="面包有点干，联系电话13912345678")
    set_risk(case, "yellow", "顾客情绪激动，已说要找媒体")

    item = TriageFeedback.objects.get()
    assert (item.case_number, item.old_level, item.new_level) == (case.number, "blue", "yellow")
    assert (item.reason, item.actor) == ("顾客情绪激动，已说要找媒体", "supervisor")
    assert "13912345678" not in item.text and "面包有点干" in item.text
    assert item.text_hash == text_hash(item.text)


def test_triage_raising_a_level_is_not_feedback(open_case):
    open_case(title="顾客反馈", description="孩子吃了酸奶拉肚子，去了医院")

    assert not TriageFeedback.objects.exists()


def test_the_export_writes_corpus_rows_newest_decision_first_and_never_a_blind_text(
    open_case, set_risk, tmp_path, settings
):
    blind = tmp_path / "corpus" / "blind"
    blind.mkdir(parents=True)
    (blind / "b.jsonl").write_text(
        json.dumps({"text": "冷柜的牛奶有点酸", "level": "yellow"}, ensure_ascii=False),
        encoding="utf-8",
    )
    settings.TRIAGE_CORPUS_DIR = tmp_path / "corpus"
    kept = open_case(title="顾客反馈", description="外卖晚了半小时")
    set_risk(kept, "yellow", "第三次了")
    set_risk(kept, "red", "顾客已发抖音")
    in_blind = open_case(title="顾客反馈", description="冷柜的牛奶有点酸")
    set_risk(in_blind, "yellow", "变质")
    out = StringIO()

    call_command("triage_export_feedback", stdout=out)

    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["level"], r["why"], r["previous_level"]) for r in rows] == [
        ("red", "顾客已发抖音", "yellow")
    ]
    assert rows[0]["source"] == f"feedback:{kept.number}:supervisor"
    assert rows[0]["intake_channel"] == kept.channel
