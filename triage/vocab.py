"""The channel and category codes triage may be told about, and how people call them.

Triage does not know the case model; the app that orchestrates it (escalation) registers the
valid codes at start-up so that the preview API and the admin can refuse unknown ones, and their
display labels so that a reason never shows a raw code (`渠道：监管部门`, not `渠道：regulator`).

A label may be a lazy translation: it is turned into text when it is read, in the language active
then (the site's language for what triage stores, the reader's for a preview).
"""

from collections.abc import Iterable, Mapping

_channels: dict[str, object] = {}
_categories: dict[str, object] = {}


def _as_labels(codes: Mapping[str, object] | Iterable) -> dict[str, object]:
    """`{code: label}` from a mapping, `(code, label)` pairs (choices) or bare codes."""
    if isinstance(codes, Mapping):
        return dict(codes)
    labels: dict[str, object] = {}
    for item in codes:
        if isinstance(item, (tuple, list)):
            code, label = item
        else:
            code, label = item, item
        labels[str(code)] = label
    return labels


def configure(*, channels, categories) -> None:
    """Register the codes, each with its label: a mapping, choices pairs, or bare codes."""
    global _channels, _categories
    _channels = _as_labels(channels)
    _categories = _as_labels(categories)


def channels() -> tuple[str, ...]:
    return tuple(_channels)


def categories() -> tuple[str, ...]:
    return tuple(_categories)


def channel_labels() -> dict[str, str]:
    """`{code: label}` in the active language."""
    return {code: str(label) for code, label in _channels.items()}


def category_labels() -> dict[str, str]:
    """`{code: label}` in the active language."""
    return {code: str(label) for code, label in _categories.items()}
