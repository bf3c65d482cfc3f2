"""Whatever text arrives, triage answers with a level and never fails."""

import pytest

from triage.selectors import triage_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \u3000"])
def test_empty_or_whitespace_text_is_blue_with_no_reasons(text):
    result = triage_text(text=text)

    assert (result.level, result.reasons, result.score) == ("blue", [], 0)


@pytest.mark.parametrize(
    "text",
    [
        "外卖送晚了，" * 3334,  # 20,000 characters
        "😡🤮😭🔥" * 50,
        "\x00\x01\x07拉肚子\x1b[31m\x7f",
        "Ｍｉｘｅｄ 混合 mixed 文字 ภาษาไทย русский العربية 拉肚子 12315",
        "\ud800 broken surrogate 发霉",
    ],
)
def test_odd_text_gets_a_level_without_an_error(text):
    result = triage_text(text=text)

    assert result.level in ("red", "yellow", "blue")
