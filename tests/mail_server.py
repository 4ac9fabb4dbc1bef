"""A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread of its own), for the tests of delivery
and for bench/delivery.py: it keeps every message it accepted, and can be told to behave like
the servers the outbox must survive.

``mode``: "accept" (250 after DATA), "tempfail" (451 to every recipient), "stall" (takes the
whole message, then never answers until released), "drop" (takes the whole message, then closes
the connection without an answer). ``refuse``: recipients answered 550 (mailbox unknown);
``defer``: recipients answered 451.
"""

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
STALL_LIMIT = 60.0  # seconds a stalled answer is held at most (the client has long given up)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    def __init__(self, mode: str = "accept"):
        self.mode = mode
        self.refuse: set[str] = set()
        self.defer: set[str] = set()  # recipients answered 451 (try again later)
        self.received: list[Received] = []  # whole messages taken, answered or not
        self.stalled = threading.Event()  # a stalled DATA is waiting for its answer
        self._release = threading.Event()
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "MailServer":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self._controller.stop()

    def release(self) -> None:
        """Let a stalled DATA be answered (250) at last."""
        self._release.set()

    def settings(self, settings, *, timeout: float = 2) -> None:
        """Point Django's SMTP backend at this server (``settings``: pytest-django's fixture or
        django.conf.settings)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", self.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = timeout

    def messages(self) -> list[EmailMessage]:
        return [received.message for received in self.received]


class _Handler:
    def __init__(self, server: MailServer):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return f"550 5.1.1 <{address}>: recipient address rejected: user unknown"
        if self.server.mode == "tempfail" or address in self.server.defer:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        server = self.server
        message = message_from_bytes(envelope.content, policy=policy.default)
        server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        if server.mode == "drop":
            smtp.transport.close()
            return "250 OK"  # written to a closed connection: the client never reads it
        if server.mode == "stall":
            server.stalled.set()
            waited = 0.0
            while not server._release.is_set() and waited < STALL_LIMIT:
                await asyncio.sleep(0.05)
                waited += 0.05
        return "250 OK queued"


@pytest.fixture
def mail_server(settings):
    """A real SMTP server on a free port, with Django's SMTP backend pointed at it."""
    with MailServer() as server:
        server.settings(settings)
        yield server
