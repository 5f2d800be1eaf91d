"""The domain error tree. Views turn these into messages, the API into problem+json."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action; the message is safe to show to the user."""

    code = "domain_error"

    def __init__(self, message: str = "", **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """The object does not exist or the caller may not know it exists."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    code = "forbidden"


class InvalidInput(DomainError):
    """Input failed a business validation; ``errors`` maps field names to messages."""

    code = "invalid_input"

    def __init__(self, message: str = "", errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class NotSubscribed(InvalidInput):
    """The operator does not subscribe to the e-service it wants to file for."""

    code = "not_subscribed"


class IllegalTransition(DomainError):
    """The ticket's current status does not allow this action."""

    code = "illegal_transition"
