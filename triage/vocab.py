"""The channel and category codes triage may be told about.

Triage does not know the case model; the app that orchestrates it (escalation) registers the
valid codes at start-up so that the preview API and the admin can refuse unknown ones.
"""

_channels: tuple[str, ...] = ()
_categories: tuple[str, ...] = ()


def configure(*, channels, categories) -> None:
    global _channels, _categories
    _channels = tuple(channels)
    _categories = tuple(categories)


def channels() -> tuple[str, ...]:
    return _channels


def categories() -> tuple[str, ...]:
    return _categories
