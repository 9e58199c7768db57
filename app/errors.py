"""Domain exceptions with translatable messages.

Views flash them; the API maps ``status`` to the HTTP answer (400/403/404/409).
They never carry SQL, parameters or complainant data.
"""


class DomainError(Exception):
    """A rule was broken; nothing was changed."""

    status = 400

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)

    def payload(self):
        """The JSON ``message`` value of the API contract."""
        if self.field:
            return {self.field: [str(self.message)]}
        return str(self.message)


class ValidationFailed(DomainError):
    """Bad input (400)."""


class PermissionDenied(DomainError):
    """The role lacks the permission (403)."""

    status = 403


class NotFound(DomainError):
    """Not found, or outside the caller's scope (404): never reveal that it exists."""

    status = 404


class Conflict(DomainError):
    """Not allowed in the current state, or a stale version (409)."""

    status = 409


from werkzeug.exceptions import BadRequest  # noqa: E402  (HTTP-level, below the domain errors)


class UnusableInput(BadRequest):
    """A request refused before any view runs (400), with a translated message for the user:
    the error pages and the API show its description instead of the generic 400 text."""

    def __str__(self):  # FAB's APIs answer 400 with str(error): the message alone
        return str(self.description)
