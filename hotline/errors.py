"""Domain errors: a request that is well-formed but not allowed in the current state.

The API answers them with their ``status_code`` and message; the admin shows the message.
"""


class DomainError(Exception):
    status_code = 409

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotPermitted(DomainError):
    status_code = 403
