"""API plumbing shared by every app: exception mapping."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
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
    return drf_exception_handler(exc, context)
