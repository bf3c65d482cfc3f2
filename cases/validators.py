"""Validation of uploaded attachments: the type is judged by the file's bytes, not its name.

Beyond the type: an image is opened with Pillow to read its real size and refused when it has
more than `ATTACHMENT_MAX_PIXELS` pixels (a small file that unpacks into gigabytes stalls or
kills whatever renders it) or when Pillow cannot read it; a PDF with active content — scripts,
actions run on opening, launch actions, embedded files, rich media or XFA forms — is refused. A
PDF may hide those names behind `#xx` escapes or inside compressed streams, so both are undone
before looking.
"""

import re
import zlib

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
# PDF names that run something or carry something: /JavaScript, /JS, /OpenAction, /AA
# (additional actions), /Launch, /EmbeddedFile(s), /RichMedia, /XFA.
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|OpenAction|AA|Launch|EmbeddedFiles?|RichMedia|XFA)\b")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
# Decompressed bytes examined per PDF at most (a stream may be a compression bomb itself).
_PDF_INFLATE_BUDGET = 64 * 1024 * 1024


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
    content_type = sniffed[0]
    if content_type.startswith("image/"):
        _check_image(uploaded)
    elif content_type == "application/pdf":
        _check_pdf(uploaded)
    return content_type


def _check_image(uploaded) -> None:
    from PIL import Image

    limit = settings.ATTACHMENT_MAX_PIXELS
    uploaded.seek(0)
    try:
        with Image.open(uploaded) as image:  # reads the header only
            width, height = image.size
            if width * height > limit:
                raise InvalidInput(
                    fields={
                        "file": _(
                            "The image is %(width)d × %(height)d pixels; at most %(limit)s "
                            "megapixels are accepted."
                        )
                        % {"width": width, "height": height, "limit": f"{limit / 1e6:g}"}
                    }
                )
            image.verify()
    except InvalidInput:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own, far larger limit
        raise InvalidInput(
            fields={
                "file": _(
                    "The image has too many pixels; at most %(limit)s megapixels are accepted."
                )
                % {"limit": f"{limit / 1e6:g}"}
            }
        ) from exc
    except Exception as exc:  # Pillow's own errors for truncated or corrupt images
        raise InvalidInput(fields={"file": _("The image cannot be read.")}) from exc
    finally:
        uploaded.seek(0)


def _check_pdf(uploaded) -> None:
    uploaded.seek(0)
    data = uploaded.read()
    uploaded.seek(0)
    if _pdf_has_active_content(data):
        raise InvalidInput(
            fields={
                "file": _(
                    "PDF files with active content (scripts, actions, embedded files or forms) "
                    "are not accepted; print it to a plain PDF or send a photo instead."
                )
            }
        )


def _pdf_has_active_content(data: bytes) -> bool:
    def active(chunk: bytes) -> bool:
        unescaped = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), chunk)
        return bool(_PDF_ACTIVE.search(unescaped))

    if active(data):
        return True
    budget = _PDF_INFLATE_BUDGET
    for stream in _PDF_STREAM.finditer(data):
        if budget <= 0:
            return True  # more compressed content than anyone needs: refuse, do not guess
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(stream.group(1), budget)
        except zlib.error:
            continue  # not a Flate stream (an image, say)
        budget -= len(inflated)
        if active(inflated):
            return True
    return False
