from config.errors import DomainError


class TicketError(DomainError):
    """A ticket transition refused; ``code`` is stable (API.md)."""
