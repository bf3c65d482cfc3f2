"""An HTTP receiver on 127.0.0.1 for tests and benchmarks: records requests, answers as told.

    with Receiver() as receiver:
        receiver.answer(200, {"errcode": 0, "errmsg": "ok"})      # default answer from now on
        receiver.answer_next(200, {"errcode": 130101})          # only the next request
        url = receiver.url("/robot/send?access_token=t")
        ...
        receiver.requests[0].json

`Receiver.down_url()` gives a URL on which nothing listens (connection refused), and
`receiver.stop()` takes a running receiver down.
"""

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        receiver = self.server.receiver
        parts = urlsplit(self.path)
        receiver._record(
            Recorded(
                method="POST",
                path=parts.path,
                query=parse_qs(parts.query),
                headers=dict(self.headers.items()),
                body=body,
            )
        )
        status, payload, headers = receiver._next_answer()
        data = (
            payload
            if isinstance(payload, bytes)
            else (payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # keep test output clean
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class Receiver:
    def __init__(self, *, default_status: int = 200, default_body=None):
        self._answers: deque = deque()
        self._default = (default_status, default_body if default_body is not None else b"ok", {})
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self.requests: list[Recorded] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle
    def start(self) -> "Receiver":
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the receiver is not running"
        return self._server.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @staticmethod
    def down_url(path: str = "/") -> str:
        """A URL on 127.0.0.1 where nothing listens: connections are refused."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}{path}"

    # --- behaviour
    def answer(self, status: int = 200, body=b"ok", headers: dict | None = None) -> None:
        """Answer every request from now on like this (after any queued `answer_next`)."""
        with self._lock:
            self._default = (status, body, headers or {})

    def answer_next(self, status: int = 200, body=b"ok", headers: dict | None = None) -> None:
        """Answer the next not yet answered request like this (queue several for a sequence)."""
        with self._lock:
            self._answers.append((status, body, headers or {}))

    def _next_answer(self):
        with self._lock:
            return self._answers.popleft() if self._answers else self._default

    def _record(self, recorded: Recorded) -> None:
        with self._arrived:
            self.requests.append(recorded)
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Recorded]:
        """Block until `count` requests arrived (or the timeout passed); returns them all."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.wait(remaining)
            return list(self.requests)
