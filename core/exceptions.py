"""Errors raised by services; interfaces turn them into HTTP codes, form errors or admin messages."""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base class: a business rule refused the operation. `message` is shown to the user."""

    default_message = _("The operation could not be completed.")

    def __init__(self, message=None, *, fields: dict | None = None):
        self.message = message or self.default_message
        self.fields = fields or {}
        super().__init__(str(self.message))


class InvalidInput(ApplicationError):
    """The input is wrong (HTTP 400); `fields` maps field names to messages."""

    default_message = _("Invalid input.")


class NotPermitted(ApplicationError):
    """The actor's role may not do this (HTTP 403)."""

    default_message = _("You do not have permission to do this.")


class NotFound(ApplicationError):
    """The object does not exist or is not visible to the actor (HTTP 404)."""

    default_message = _("Not found.")


class Conflict(ApplicationError):
    """The object's current state does not allow it, or a concurrent change won (HTTP 409)."""

    default_message = _("The object was changed in the meantime; reload and try again.")
