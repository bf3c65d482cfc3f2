"""Logging helpers."""

import logging


class ClientMistakeFilter(logging.Filter):
    """Turns a record about a client's bad request into a one-line warning (no traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        return True
