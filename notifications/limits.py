"""Pure maths of delivery: rate-limit windows, retry backoff, byte truncation.

Plain values in, plain values out: no database, no clock (callers pass `now`).
"""

MINUTE = 60.0
SECOND = 1.0


def rate_limit_wait(*, sent_at: list[float], now: float, per_minute: int, per_second: int) -> float:
    """Seconds to wait before one more message may go out; 0 when it may go now.

    `sent_at` holds the unix times of earlier sends (any order, may include stale ones). Sliding
    windows, not fixed ones: a fixed minute would let 2x the limit through around its boundary,
    which is exactly what gets a DingTalk robot muted for ten minutes. Times later than `now`
    count too: another worker read its clock later, or a send was recorded when it finished.
    """
    waits = [0.0]
    for limit, window in ((per_minute, MINUTE), (per_second, SECOND)):
        if not limit:
            continue
        recent = sorted(t for t in sent_at if now - window < t)
        if len(recent) >= limit:
            # the oldest send that keeps the window full has to leave it first
            waits.append(recent[len(recent) - limit] + window - now)
    return max(waits)


def rate_limit_window(
    *, sent_at: list[float], now: float, per_minute: int, per_second: int
) -> list[float]:
    """The send times still relevant for the limits (older ones are dropped to keep it short)."""
    window = MINUTE if per_minute else SECOND if per_second else 0.0
    return sorted(t for t in sent_at if now - window < t)


def rate_limit_window_finish(*, sent_at: list[float], taken: float, done: float) -> list[float]:
    """The window with the send reserved at `taken` moved to `done`, when it actually finished.

    The vendor counts a message when it arrives, which may be well after the slot was taken (a
    busy worker, a large digest): counting from the end keeps the robot's own count in bounds.
    """
    times = list(sent_at)
    if taken in times:
        times.remove(taken)
        times.append(done)
    return sorted(times)


def retry_backoff(*, attempt: int, base: float, cap: float) -> float:
    """Delay before retry number `attempt` (1 = after the first failure): base, 2x, 4x, ... <= cap."""
    return float(min(cap, base * 2 ** max(attempt - 1, 0)))


def truncate_bytes(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` UTF-8 bytes, never inside a character, marked with `ellipsis`.

    Vendors count bytes, not characters: a Chinese character is three bytes.
    """
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    tail = ellipsis.encode("utf-8")
    if limit <= len(tail):
        return data[:limit].decode("utf-8", errors="ignore")
    return data[: limit - len(tail)].decode("utf-8", errors="ignore") + ellipsis


def byte_len(text: str) -> int:
    return len(text.encode("utf-8"))
