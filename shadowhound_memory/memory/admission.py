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
Admission of service requests: a bounded number waiting, the rest refused at once with a reason.

A burst of requests beyond what the node can carry out used to wait in DDS queues until some were
overwritten, unanswered and unlogged. Taking every request off the wire at once and either
queuing it here (bounded) or refusing it with "busy: N requests waiting, retry" answers every
request, and a client can act on the answer.
"""

import threading


class Admission:
    """Counts requests admitted and not yet finished, up to ``limit``; counts refusals."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._pending = 0
        self._lock = threading.Lock()
        self.admitted = 0
        self.refused = 0

    def try_enter(self) -> str | None:
        """Admit a request (None) or return the reason it is refused; pair with leave()."""
        with self._lock:
            if self._pending >= self.limit:
                self.refused += 1
                return (f'busy: {self._pending} requests waiting, retry in a moment '
                        f'(at most {self.limit} wait)')
            self._pending += 1
            self.admitted += 1
            return None

    def leave(self) -> None:
        """Mark an admitted request finished."""
        with self._lock:
            self._pending -= 1

    @property
    def pending(self) -> int:
        """Return how many admitted requests are not finished."""
        with self._lock:
            return self._pending
