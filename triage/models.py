"""Models of this app (filled in by the risk-triage issue)."""
