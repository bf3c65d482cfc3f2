"""Risk reasons as stored on a case (a list of dicts from triage): how they read as one line, and
which of them only the desk may see. Shared vocabulary: triage writes them, cases shows them."""

# A fact that counts other stores' cases (the same phone or order number elsewhere): a store
# must not learn from it what another store's customers complained about.
CROSS_STORE_CODES = frozenset({"repeat_history"})


def reason_line(reasons) -> str:
    """`媒体曝光: “发到微博上”; 健康损害: “拉肚子”, “去医院”` — what counted, not what was ignored."""
    parts = []
    for reason in reasons or []:
        if not isinstance(reason, dict) or reason.get("ignored"):
            continue
        quoted = ", ".join(f"“{e}”" for e in reason.get("evidence") or [])
        parts.append(
            f"{reason.get('signal', '')}: {quoted}" if quoted else reason.get("signal", "")
        )
    return "; ".join(parts)


def reasons_for_store(reasons) -> list:
    """The reasons a store may see: no cross-store facts, no rule patterns."""
    return [
        {k: v for k, v in r.items() if k != "rule"} if isinstance(r, dict) else r
        for r in reasons or []
        if not (isinstance(r, dict) and r.get("code") in CROSS_STORE_CODES)
    ]
