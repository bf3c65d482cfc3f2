"""Masking of personal data for lists, exports, alerts and roles without the right to see it."""

import re


def mask_phone(phone: str) -> str:
    """`13812345678` -> `138****5678`; short or odd values keep only their last two characters."""
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_name(name: str) -> str:
    """`张三丰` -> `张**`; `Alice Wong` -> `A*********`."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1 if len(name) > 1 else 1)


# Mainland mobile numbers (optionally +86) not glued to other digits, written plain, in 3-4-4
# groups (`138 1234 5678`, `138-1234-5678`) or with full-width characters (`１３８１２３４５６７８`).
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－", "0123456789+-")
_SEP = r"[\s\-－]?"
_D = r"[0-9０-９]"
_MOBILE = re.compile(
    rf"(?<![0-9０-９])(?:[+＋]?[8８][6６]{_SEP})?"
    rf"([1１][3-9３-９]{_D}){_SEP}({_D}{{4}}){_SEP}({_D}{{4}})(?![0-9０-９])"
)


def _mask(match: re.Match) -> str:
    return mask_phone("".join(match.groups()).translate(_FULL_WIDTH))


def scrub_phones(value):
    """Mask every full mobile number inside free text (and lists and dicts of it, recursively):
    customers' numbers end up in titles and notes too."""
    if isinstance(value, str):
        return _MOBILE.sub(_mask, value)
    if isinstance(value, list | tuple):
        return [scrub_phones(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub_phones(v) for k, v in value.items()}
    return value


def normalize_phone(value: str) -> str:
    """The stored form of a phone number: digits only, no country code (`+86 138-1234-5678` ->
    `13812345678`, `021-12345678` -> `02112345678`), so that the same customer is recognised
    however the number was typed."""
    digits = re.sub(r"\D", "", (value or "").translate(_FULL_WIDTH))
    if digits.startswith("86") and re.fullmatch(r"1[3-9]\d{9}|0\d{9,11}", digits[2:]):
        digits = digits[2:]
    return digits
