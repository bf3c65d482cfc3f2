"""Models of this app (filled in by later issues)."""
