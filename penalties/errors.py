from config.errors import DomainError


class PenaltyError(DomainError):
    """A penalties action refused; ``code`` is stable."""
