"""Handing an e-mail to the mail server (Django's configured backend), with the outcome told
apart the way the outbox needs it.

SMTP cannot promise exactly once: when the connection drops or times out after the message was
handed over, the server may have queued it. Failures while connecting, or refusals of the sender
or recipients, mean it did not go; a 5xx reply (RFC 5321's permanent negative completion) means
trying again will not help.
"""

import contextlib
import smtplib

from django.core.mail import EmailMessage, get_connection

from hotline.integrations.delivery import DeliveryFailed

__all__ = ["mail_send"]


def mail_send(email: EmailMessage) -> None:
    """Send one e-mail or raise DeliveryFailed."""
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"could not connect to the mail server: {_describe(exc)}") from None
    try:
        connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reply in exc.recipients.values()]
        raise DeliveryFailed(
            f"recipient refused: {_describe(exc)}", permanent=all(code >= 500 for code in codes)
        ) from None
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        raise DeliveryFailed(
            f"the mail server refused the message: {_describe(exc)}",
            permanent=exc.smtp_code >= 500,
        ) from None
    except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as exc:
        # Somewhere in the conversation, possibly after the whole message went.
        raise DeliveryFailed(
            f"the connection to the mail server failed: {_describe(exc)}", outcome_unknown=True
        ) from None
    except smtplib.SMTPException as exc:
        raise DeliveryFailed(f"the mail server answered an error: {_describe(exc)}") from None
    finally:
        # The answer is what counts: a failed QUIT changes nothing.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:400]
