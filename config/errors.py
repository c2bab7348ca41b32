"""Domain errors with a stable machine ``code`` (the API's error shape)."""


class DomainError(Exception):
    """A business rule refused the request.

    ``status`` is the HTTP status the API answers with: 409 for "not allowed in
    the current state" (the default), 400 for invalid input, 404, 403, 429.
    """

    status = 409
    # A refusal whose own effect must stay: a deadline enforced at the moment
    # of the act (T3: the late reply is refused and the ticket is timed out
    # then and there). The service commits that effect in its own transaction
    # (a savepoint when nested) before raising; a caller that holds an outer
    # transaction (``orders.idempotency``) commits it instead of rolling back.
    keeps_effect = False

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        status: int | None = None,
        extra: dict | None = None,
        keeps_effect: bool = False,
    ):
        super().__init__(detail or code)
        self.keeps_effect = keeps_effect
        self.code = code
        self.detail = detail or code
        if status is not None:
            self.status = status
        self.extra = extra or {}

    def __str__(self) -> str:
        return str(self.detail)
