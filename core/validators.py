import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PHONE = re.compile(r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def validate_phone(value: str) -> None:
    """A mainland mobile (13812345678, +86 138...) or landline (021-12345678) number."""
    if value and not _PHONE.match(value.strip()):
        raise ValidationError(
            _("Enter a valid phone number, e.g. 13812345678 or 021-12345678."), code="invalid"
        )
