"""Which routes an alert matches: plain values in, a yes/no out (no database)."""

from notifications.alerts import Alert


def route_matches(
    *,
    kinds: list[str],
    risk_levels: list[str],
    store_codes: list[str],
    regions: list[str],
    escalation_levels: list[int],
    alert: Alert,
) -> bool:
    """Every non-empty filter must contain the alert's value; an empty filter means "any".

    A route with no kinds matches nothing: forgetting `kinds` must not page everyone for
    everything.
    """
    if alert.kind not in kinds:
        return False
    if risk_levels and alert.risk_level not in risk_levels:
        return False
    if store_codes and alert.store_code not in store_codes:
        return False
    if regions and alert.region not in regions:
        return False
    if escalation_levels and alert.escalation_level not in escalation_levels:
        return False
    return True
