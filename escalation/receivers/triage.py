"""Triage receivers (risk-triage issue)."""
