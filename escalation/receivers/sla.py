"""SLA clock receivers (SLA-engine issue)."""
