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
Idempotent requests: a client's request id makes a retried write return the first answer.

A client that times out cannot know whether its write was done; it retries. Without an id the
retry stores the memory a second time (or inflates its seen_count). The ledger remembers the
outcome of the last ``capacity`` successful requests by id, and a retry that arrives while the
first attempt still runs waits for it instead of doing the work twice. It lives in memory: a
retry after the node restarted is done again.
"""

from collections import OrderedDict
from collections.abc import Callable
import re
import threading
from typing import Generic, TypeVar

from shadowhound_memory.domain.errors import InvalidRequestError

T = TypeVar('T')
REQUEST_ID_PATTERN = r'^[A-Za-z0-9._:\-]{1,128}$'
_REQUEST_ID_RE = re.compile(REQUEST_ID_PATTERN)


class RequestLedger(Generic[T]):
    """Outcomes of recent requests by client request id, bounded to ``capacity`` entries."""

    def __init__(self, capacity: int = 10000, wait_s: float = 60.0) -> None:
        self.capacity = capacity
        self.wait_s = wait_s
        self._done: OrderedDict[str, T] = OrderedDict()
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.replayed = 0

    def run(self, request_id: str, work: Callable[[], T]) -> tuple[T, bool]:
        """
        Return ``work()``'s outcome and False, or the earlier outcome of ``request_id`` and True.

        An empty id runs the work unrecorded. A failed attempt (an exception) is not recorded,
        so its retry runs the work again.
        """
        if not request_id:
            return work(), False
        if not _REQUEST_ID_RE.match(request_id):
            raise InvalidRequestError(f'request_id {request_id[:40]!r} must match '
                                      f'{REQUEST_ID_PATTERN}')
        while True:
            with self._lock:
                if request_id in self._done:
                    self._done.move_to_end(request_id)
                    self.replayed += 1
                    return self._done[request_id], True
                running = self._running.get(request_id)
                if running is None:
                    running = self._running[request_id] = threading.Event()
                    break
            if not running.wait(self.wait_s):
                raise InvalidRequestError(f'request {request_id} is still being carried out; '
                                          'retry later with the same request_id')
        try:
            outcome = work()
            with self._lock:
                self._done[request_id] = outcome
                while len(self._done) > self.capacity:
                    self._done.popitem(last=False)
            return outcome, False
        finally:
            with self._lock:
                del self._running[request_id]
            running.set()
