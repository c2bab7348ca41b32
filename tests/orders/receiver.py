"""A real HTTP receiver on loopback for the W1 tests (``http.server`` in a
thread), on a port of this branch's range (9350–9399)."""

from __future__ import annotations

import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = range(9350, 9400)


def free_port() -> int:
    """A free port of the range, tried in random order: a sender an earlier
    test left behind (a retry to its receiver's port) does not land in the
    next test's receiver."""
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 9350-9399")


class _Server(ThreadingHTTPServer):
    """The listen backlog of ``socketserver`` is 5: two workers' delivery
    pools (16 connections at once) overflow it on a loaded machine, a SYN is
    dropped, the client's retransmit comes after its timeout and a delivery
    fails that the receiver never saw. A real web server's backlog is 128+."""

    allow_reuse_address = True
    request_queue_size = 128
    daemon_threads = True


class Receiver:
    """``start()`` / ``stop()`` on a fixed port (so "down then up" is the same
    URL); answers ``statuses`` in turn (then the last one) and records each
    request's headers and body."""

    def __init__(self, port: int, statuses: list[int] | None = None):
        self.port = port
        self.statuses = list(statuses or [200])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/erp?x=1"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok " * 500)  # more than the excerpt kept

            def log_message(self, *args):
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
