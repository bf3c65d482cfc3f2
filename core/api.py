"""API plumbing shared by every app: exception mapping."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError, Conflict, InvalidInput, NotFound, NotPermitted

_STATUS = {
    InvalidInput: status.HTTP_400_BAD_REQUEST,
    NotPermitted: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
}


def exception_handler(exc, context):
    """Service errors become JSON: `{"detail": ...}` plus per-field messages for bad input."""
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    if isinstance(exc, ApplicationError):
        code = next((c for klass, c in _STATUS.items() if isinstance(exc, klass)), 400)
        body = {"detail": str(exc.message)}
        body.update({name: [str(m)] for name, m in exc.fields.items()})
        return Response(body, status=code)
    response = drf_exception_handler(exc, context)
    if (
        isinstance(exc, drf_exceptions.ValidationError)
        and response is not None
        and isinstance(response.data, dict)
        and "detail" not in response.data
    ):
        # every error carries `detail`, with the per-field messages beside it
        response.data = {"detail": str(InvalidInput.default_message), **response.data}
    return response


def api_not_found(request, exception=None):
    """A 404 under /api/ is JSON like every other API error; elsewhere Django's page."""
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_message)}, status=404)
    return page_not_found(request, exception)


class StrictCharField(serializers.CharField):
    """A text field that takes only a JSON string: DRF's CharField turns `123` or `true` into
    text, which hides a caller's mistake."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def api_bad_request(request, exception=None):
    """A 400 Django raises itself (a body too large found while reading it, a bad host) is JSON
    under /api/ too; elsewhere Django's page."""
    from django.views.defaults import bad_request

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(InvalidInput.default_message)}, status=400)
    return bad_request(request, exception)
