"""Validation of uploaded attachments: the type is judged by the file's bytes, not its name."""

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput

# magic bytes -> (content type, allowed file name endings)
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"GIF87a", "image/gif", (".gif",)),
    (b"GIF89a", "image/gif", (".gif",)),
    (b"%PDF-", "application/pdf", (".pdf",)),
)
ALLOWED_DESCRIPTION = "JPEG, PNG, GIF, WebP, PDF"


def _sniff(head: bytes) -> tuple[str, tuple[str, ...]] | None:
    for magic, content_type, endings in _SIGNATURES:
        if head.startswith(magic):
            return content_type, endings
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", (".webp",)
    return None


def validate_attachment(uploaded) -> str:
    """Return the file's content type, or raise InvalidInput on the `file` field."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if uploaded.size == 0:
        raise InvalidInput(fields={"file": _("The file is empty.")})
    if uploaded.size > limit:
        raise InvalidInput(
            fields={
                "file": _("The file is %(size)s; at most %(limit)s is allowed.")
                % {"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)}
            }
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    sniffed = _sniff(head)
    name = (uploaded.name or "").lower()
    if sniffed is None or not name.endswith(sniffed[1]):
        raise InvalidInput(
            fields={
                "file": _("Only these file types are accepted: %(types)s.")
                % {"types": ALLOWED_DESCRIPTION}
            }
        )
    return sniffed[0]
