"""Real processes for integration tests and benchmarks: Celery worker and beat, a private
redis-server, and an HTTP receiver that records what it is sent.

Everything binds to 127.0.0.1. Processes run in their own session so that stopping one also stops
its children (the prefork pool), and every helper is bounded by a timeout: a test waits by
polling, never by sleeping a fixed time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; raise TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for subprocesses that points at the database this process uses."""
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    auth = f"{user}:{password}" if password else user
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


# --- Celery ---------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL of the whole group if it does not go."""
        if not self.alive():
            return
        _signal_group(self.popen, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        _signal_group(self.popen, signal.SIGKILL)  # leftovers of the pool, if any

    def kill(self) -> None:
        """SIGKILL the process and its children at once: a crash, not a shutdown."""
        _signal_group(self.popen, signal.SIGKILL)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def _signal_group(popen: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(popen.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def process_env(**overrides: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONUNBUFFERED": "1"}
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def _start(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Proc:
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
    popen = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    return Proc(name=name, popen=popen, log_path=log_path)


def start_worker(
    env: dict[str, str],
    log_dir: Path,
    *,
    name: str = "worker",
    concurrency: int = 2,
    queues: str = "deadlines,alerts,celery,bulk",
) -> Proc:
    return _start(
        name,
        [
            CELERY, "-A", "config", "worker", "--loglevel=INFO", f"--concurrency={concurrency}",
            "--pool=prefork", f"--hostname={name}-{os.getpid()}@%h", "--without-gossip",
            "--without-mingle", f"--queues={queues}",
        ],
        env,
        log_dir,
    )  # fmt: skip


def start_beat(env: dict[str, str], log_dir: Path, *, name: str = "beat") -> Proc:
    return _start(
        name,
        [
            CELERY, "-A", "config", "beat", "--loglevel=INFO",
            f"--schedule={log_dir / (name + '-schedule')}",
        ],
        env,
        log_dir,
    )  # fmt: skip


def wait_for_worker(proc: Proc, *, timeout: float = 30) -> None:
    """Until the worker says it is ready (it then consumes from the broker)."""
    try:
        wait_until(lambda: "ready." in proc.log() or not proc.alive(), timeout=timeout)
    except TimeoutError as exc:
        raise TimeoutError(f"{proc.name} not ready:\n{proc.log()[-3000:]}") from exc
    if not proc.alive():
        raise RuntimeError(f"{proc.name} exited:\n{proc.log()[-3000:]}")


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


# --- a private Redis ---------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A redis-server of our own on its own port, so stopping it disturbs nobody else."""

    port: int
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_until(self.answers, timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


# --- an HTTP receiver ---------------------------------------------------------------------------


@dataclass
class Received:
    at: float  # time.time() when the request arrived
    path: str
    headers: dict
    body: dict
    answered: bool = False


@dataclass
class Receiver:
    """Records every POST. `hold` makes matching requests wait until released (or forever)."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold: Callable[[Received], bool] | None = None
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/alerts"

    def answered(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.answered]

    def all(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            receiver = holder["r"]
            item = Received(time.time(), self.path, dict(self.headers), body)
            with receiver.lock:
                receiver.requests.append(item)
            if receiver.hold is not None and receiver.hold(item):
                # Keep the sender waiting; once released, hang up without an answer (the
                # sender, e.g. a worker killed meanwhile, never learns the outcome).
                receiver.released.wait(timeout=120)
                self.close_connection = True
                return
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')
                self.wfile.flush()
            except OSError:
                return  # the sender went away (killed mid-request)
            item.answered = True

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server=server)
    holder["r"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
