"""Normalisation: one canonical form, and evidence quoted in the customer's own characters."""

import pytest

from triage.normalize import normalize, normalize_pattern


@pytest.mark.parametrize(
    ("raw", "compact"),
    [
        ("１２３１５", "12315"),  # full-width digits
        ("ＷＥＩＢＯ", "weibo"),  # full-width letters, case folded
        ("發到微博上曝光你們", "发到微博上曝光你们"),  # traditional -> simplified
        ("曝 光", "曝光"),  # a space to dodge a keyword filter
        ("曝*光", "曝光"),
        ("微-博", "微博"),
        ("1 2 3 1 5", "12315"),
        ("拉~肚~子", "拉肚子"),
        ("曝　光", "曝光"),  # ideographic space
    ],
)
def test_normalisation_undoes_width_script_and_dodging_tricks(raw, compact):
    assert normalize(raw).compact == compact


def test_clauses_stay_apart_so_that_a_negation_never_reaches_into_the_next_clause():
    assert normalize("不会，曝光。好").compact == "不会|曝光|好"


def test_shouting_is_kept():
    assert normalize("气死了！！！").compact == "气死了!!!"


def test_evidence_is_quoted_as_the_customer_wrote_it():
    norm = normalize("我要發到 微*博 上")
    start = norm.compact.index("发到微博")

    assert norm.evidence(start, start + 4) == "發到 微*博"


def test_english_keeps_word_boundaries():
    assert normalize("I'll SUE you, now!").spaced == "i ll sue you | now |"


def test_a_pattern_is_normalised_like_the_text():
    assert normalize_pattern("發 微博") == "发微博"


def test_a_dot_between_ideographs_is_a_dodge_but_ends_an_english_sentence():
    assert (normalize("曝.光").compact, normalize("Sorry. I").compact) == ("曝光", "sorry|i")


@pytest.mark.parametrize(
    ("raw", "joined"),
    [
        ("曝，光", "曝光"),  # clause punctuation between ideographs: a dodge
        ("报、警了", "报警了"),
        ("曝！！光", "曝光"),
        ("12,315元", "12|315元"),  # between digits: a thousands separator, kept
        ("不会，曝光", "不会曝光"),
    ],
)
def test_the_joined_view_drops_clause_punctuation_between_ideographs_only(raw, joined):
    norm = normalize(raw)

    assert norm.joined[0] == joined
    assert [norm.compact[i] for i in norm.joined[1]] == list(joined)


def test_english_evidence_maps_back_to_the_customers_own_words():
    norm = normalize("Call   the POLICE now")
    start = norm.spaced.index("the police")

    assert norm.spaced_evidence(start, start + len("the police")) == "the POLICE"
