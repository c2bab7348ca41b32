"""A loopback HTTP receiver for the W1 delivery benchmark, in its own process:
``python -m bench.receiver PORT`` answers every POST with 204 (HTTP/1.1,
keep-alive), counting requests; prints "listening" once it accepts."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    port = int(sys.argv[1])
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("listening", flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
