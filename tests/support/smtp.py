"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests; it keeps what it receives.

with SmtpServer() as smtp:
    ... settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port ...
    smtp.messages[0]["Subject"], smtp.envelopes[0].rcpt_tos
"""

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    host = "127.0.0.1"

    def __init__(self):
        self._handler = _Handler()
        self.port = _free_port()
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)

    def start(self) -> "SmtpServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def envelopes(self) -> list:
        return list(self._handler.envelopes)

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(e.original_content or e.content, policy=policy.default)
            for e in self._handler.envelopes
        ]
