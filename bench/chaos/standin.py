# Copyright 2026 The shadowhound_memory Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Stand-ins for a Qdrant server that is in trouble, run as processes of their own (and killed).

    python bench/chaos/standin.py 503 PORT [HEADERS_LOG]   answer every request with 503
    python bench/chaos/standin.py blackhole PORT           accept connections, never answer
"""

import http.server
import json
import pathlib
import socket
import sys
from typing import Any


class Unavailable(http.server.BaseHTTPRequestHandler):
    """Answers everything with 503, and records the headers it was sent (for the key test)."""

    seen: pathlib.Path | None = None

    def _answer(self) -> None:
        if self.seen is not None:
            with self.seen.open('a') as out:
                out.write(json.dumps({'path': self.path, 'headers': dict(self.headers)}) + '\n')
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        body = b'{"status": {"error": "stand-in: service unavailable"}}'
        self.send_response(503)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _answer  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: the node's log is the one that matters."""


def serve(kind: str, port: int, seen: str | None) -> None:
    """Run a stand-in server until killed."""
    if kind == '503':
        Unavailable.seen = pathlib.Path(seen) if seen else None
        http.server.ThreadingHTTPServer(('127.0.0.1', port), Unavailable).serve_forever()
    listener = socket.socket()
    # The 503 stand-in held this port a moment ago (TIME_WAIT).
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', port))
    listener.listen(64)
    held = []
    while True:
        connection, _ = listener.accept()
        held.append(connection)


if __name__ == '__main__':
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
