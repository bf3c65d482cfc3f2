"""Receivers for the facts `cases` announces; connected when the app is ready.

Every receiver re-reads what it needs from the database and must not depend on the order in
which receivers run (triage may raise the risk before or after the SLA clocks exist).
"""

from escalation.receivers import sla, triage  # noqa: F401
