from django import template

from core.masking import scrub_phones

register = template.Library()


@register.filter
def mask_phones(value: str) -> str:
    """Free text (titles, descriptions, notes) with any mobile number in it masked."""
    return scrub_phones(value or "")
