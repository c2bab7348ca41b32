"""Domain errors with a stable machine ``code`` (the API's error shape)."""


class DomainError(Exception):
    """A business rule refused the request.

    ``status`` is the HTTP status the API answers with: 409 for "not allowed in
    the current state" (the default), 400 for invalid input, 404, 403, 429.
    """

    status = 409

    def __init__(self, code: str, detail: str = "", *, status: int | None = None, extra: dict | None = None):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail or code
        if status is not None:
            self.status = status
        self.extra = extra or {}

    def __str__(self) -> str:
        return str(self.detail)
