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
A TCP relay in front of the real vLLM that refuses connections until it is started.

It lets a test see "the server is down, then it is up" without restarting vLLM (a minute or
more on CPU, and only one may run): while closed nothing listens on its port, exactly as
while a server starts; once started, every connection is relayed byte for byte to the server.
"""

import socket
import threading
from urllib.parse import urlsplit

from vllm_server import free_port


class PortGate:
    """Relays 127.0.0.1:<port> to a server's address once start() is called."""

    def __init__(self, target_url: str) -> None:
        """Pick a free port; nothing listens on it until start()."""
        parts = urlsplit(target_url)
        self.target = (parts.hostname or '127.0.0.1', parts.port or 80)
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start listening and relaying."""
        listener = socket.create_server(('127.0.0.1', self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(self.target, timeout=10.0)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        """Stop listening and cut every relayed connection."""
        # shutdown() first: close() alone leaves a listener that a thread is blocked in accept()
        # on still accepting, and a relayed keep-alive connection still open.
        with self._lock:
            sockets, self._sockets = self._sockets, []
        if self._listener is not None:
            sockets.append(self._listener)
            self._listener = None
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
