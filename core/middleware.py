from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


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
            return HttpResponseBadRequest(_("The request contains a NUL character."))
        return self.get_response(request)
