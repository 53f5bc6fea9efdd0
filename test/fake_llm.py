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
A FAKE OpenAI-compatible server, for faults a real vLLM cannot be made to produce on demand.

It answers chat completions with a scripted reply (garbage, a citation of a memory that was not
retrieved, an empty citation list) or after a delay longer than the client's timeout. Everything
that a real server can do is tested against the real vLLM instead.
"""

import http.server
import json
import threading
import time
from typing import Any


class FakeLlmServer:
    """
    Serves /v1/models and /v1/chat/completions with scripted replies and a delay.

    Each request gets the next of ``replies``; the last one repeats.
    """

    def __init__(self, *replies: str, delay_s: float = 0.0,
                 finish_reason: str = 'stop') -> None:
        self.replies = list(replies or ['{}'])
        self.delay_s = delay_s
        self.finish_reason = finish_reason
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path == '/v1/models':
                    self._send({'data': [{'id': 'fake-base', 'parent': None}]})
                else:
                    self._send({'paths': {}})

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get('Content-Length', 0))
                fake.requests.append(json.loads(self.rfile.read(length)))
                fake.authorizations.append(self.headers.get('Authorization'))
                time.sleep(fake.delay_s)
                index = min(len(fake.requests), len(fake.replies)) - 1
                try:
                    self._send({'choices': [{'message': {'content': fake.replies[index]},
                                             'finish_reason': fake.finish_reason}],
                                'usage': {'prompt_tokens': 10, 'completion_tokens': 5}})
                except OSError:
                    pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()
