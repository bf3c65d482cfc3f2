import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.masking import normalize_phone

_SHAPE = re.compile(r"^[+＋]?[0-9０-９][0-9０-９\s\-－()（）]*$")
_NORMALISED = re.compile(r"^(?:1[3-9]\d{9}|0\d{9,11})$")


def validate_phone(value: str) -> None:
    """A mainland mobile (13812345678, +86 138 1234 5678, 138-1234-5678) or landline
    (021-12345678) number; it is stored normalised (see core.masking.normalize_phone)."""
    if value and not (_SHAPE.match(value.strip()) and _NORMALISED.match(normalize_phone(value))):
        raise ValidationError(
            _("Enter a valid phone number, e.g. 13812345678 or 021-12345678."), code="invalid"
        )
