import pytest

from notifications.limits import (
    byte_len,
    rate_limit_wait,
    rate_limit_window,
    rate_limit_window_finish,
    retry_backoff,
    truncate_bytes,
)


@pytest.mark.parametrize(
    ("sent_at", "now", "per_minute", "per_second", "expected"),
    [
        ([], 100.0, 20, 0, 0.0),
        ([float(t) for t in range(81, 100)], 100.0, 20, 0, 0.0),  # 19 in the window
        ([float(t) for t in range(81, 101)], 100.0, 20, 0, 41.0),  # 20: wait for t=81 to leave
        ([float(t) for t in range(0, 20)], 100.0, 20, 0, 0.0),  # all older than a minute
        ([99.5, 99.6, 99.7, 99.8, 99.9], 100.0, 100, 5, 0.5),  # per-second limit binds
        ([99.5, 99.6, 99.7, 99.8, 99.9], 100.0, 0, 0, 0.0),  # no limit at all
        ([*(float(t) for t in range(82, 100)), 100.5, 101.0], 100.0, 20, 0, 42.0),  # later clocks
    ],
)
def test_rate_limit_wait_uses_sliding_windows(sent_at, now, per_minute, per_second, expected):
    wait = rate_limit_wait(sent_at=sent_at, now=now, per_minute=per_minute, per_second=per_second)
    assert wait == pytest.approx(expected)


def test_rate_limit_window_keeps_only_the_last_minute():
    window = rate_limit_window(
        sent_at=[10.0, 50.0, 95.0, 99.0], now=100.0, per_minute=20, per_second=0
    )
    assert window == [50.0, 95.0, 99.0]


def test_rate_limit_window_keeps_sends_stamped_by_a_clock_ahead_of_ours():
    window = rate_limit_window(sent_at=[50.0, 100.5], now=100.0, per_minute=20, per_second=0)
    assert window == [50.0, 100.5]


def test_a_finished_send_moves_to_its_finishing_time_once():
    window = rate_limit_window_finish(sent_at=[90.0, 95.0, 95.0], taken=95.0, done=97.5)
    assert window == [90.0, 95.0, 97.5]
    assert rate_limit_window_finish(sent_at=[90.0], taken=95.0, done=97.5) == [90.0]


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (8, 600.0), (20, 600.0)],
)
def test_retry_backoff_doubles_up_to_the_cap(attempt, expected):
    assert retry_backoff(attempt=attempt, base=5.0, cap=600.0) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("abcdefghij", 10, "abcdefghij"),
        ("abcdefghijk", 10, "abcdefg…"),
        ("酸奶有异味", 9, "酸奶…"),  # 3 bytes per character; never half a character
        ("酸奶有异味", 10, "酸奶…"),
        ("酸奶有异味", 11, "酸奶…"),
        ("酸奶有异味", 12, "酸奶有…"),
    ],
)
def test_truncate_bytes_cuts_on_character_boundaries(text, limit, expected):
    result = truncate_bytes(text, limit)
    assert result == expected
    assert byte_len(result) <= limit
