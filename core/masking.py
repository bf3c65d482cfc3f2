"""Masking of personal data for lists, exports, alerts and roles without the right to see it."""


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
