"""What every delivery client (mail, webhooks, partners) raises when a message did not go."""

__all__ = ["DeliveryFailed"]


class DeliveryFailed(Exception):
    """The receiving side did not accept the message.

    ``permanent``: trying again cannot help (a mailbox that does not exist, a webhook answering
    400); the outbox gives up at once. ``outcome_unknown``: the message may have arrived (the
    connection dropped after the whole message was sent); a retry is marked as a possible
    duplicate. Neither: it did not arrive and may be tried again.
    """

    def __init__(self, detail: str, *, permanent: bool = False, outcome_unknown: bool = False):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.outcome_unknown = outcome_unknown
