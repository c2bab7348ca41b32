from config.errors import DomainError


class OrderError(DomainError):
    """An order transition refused; ``code`` is stable (API.md)."""
