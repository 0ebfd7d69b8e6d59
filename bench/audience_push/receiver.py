"""A lean local receiver for the benchmark: verifies each signature, counts members.

Run as a separate process (``python receiver.py PORT SECRET``) so it does not compete
with the engine for the interpreter: the benchmark measures the sender.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec


class Body(msgspec.Struct):
    type: str
    members: list[dict[str, object]] = []


def main(port: int, secret: str) -> None:
    key = secret.encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stamp = self.headers["X-Junction-Timestamp"]
            expected = (
                "v1=" + hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            )
            if not hmac.compare_digest(expected, self.headers["X-Junction-Signature"]):
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            msgspec.json.decode(body, type=Body)
            # An empty 2xx accepts every member of the batch.
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
