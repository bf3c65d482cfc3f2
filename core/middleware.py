"""Guards at the door: requests that can never be valid are answered 400 / 413 before any view,
as JSON under /api/ (like every other API error) and as plain text elsewhere.

- a NUL character in the path, the query string or a header (PostgreSQL refuses NUL in text);
- a declared body larger than the site accepts: `DATA_UPLOAD_MAX_MEMORY_SIZE` for ordinary
  bodies, `REQUEST_MAX_UPLOAD_BYTES` for multipart uploads (413, logged as a warning — not the
  traceback Django logs at ERROR when it finds out while reading the body);
- a form body (`application/x-www-form-urlencoded`) that is not valid UTF-8: decoding it would put
  replacement characters into stored text without a word.
"""

import logging
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

FORM_TYPE = "application/x-www-form-urlencoded"


def refuse(request, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RejectNulBytesMiddleware:
    """A NUL character can never be valid input here (and PostgreSQL refuses it in text):
    answer 400 at the door instead of failing deep inside a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or any("\x00" in v for values in request.GET.lists() for v in values[1])
            or any("\x00" in v for v in request.headers.values())
        ):
            return refuse(request, 400, _("The request contains a NUL character."))
        return self.get_response(request)


class RequestBodyGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refuse(request, 400, _("The Content-Length header is not a number."))
        content_type = request.content_type or ""
        limit = (
            settings.REQUEST_MAX_UPLOAD_BYTES
            if content_type.startswith("multipart/")
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if limit is not None and length > limit:
            logger.warning("refused a %d-byte body to %s (limit %d)", length, request.path, limit)
            return refuse(
                request,
                413,
                _("The request is too large (%(size)d bytes; at most %(limit)d).")
                % {"size": length, "limit": limit},
            )
        if content_type == FORM_TYPE and request.method in ("POST", "PUT", "PATCH") and length:
            if not _form_is_utf8(request.body):
                return refuse(request, 400, _("The form data is not valid UTF-8."))
        return self.get_response(request)


def _form_is_utf8(body: bytes) -> bool:
    try:
        for pair in body.split(b"&"):
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
