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
What an agent gets back from the memory, as plain frozen values.

The agent side (tools, planners, LLM loops) works with these instead of ROS messages, so it can be
written and tested without rclpy; only the client converts messages into them.
"""

from dataclasses import dataclass, field
from typing import Any

from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError


class MemoryUnavailableError(BackendUnavailableError):
    """The memory node did not answer in time: it is not running, or not reachable over DDS."""


class MemoryRequestError(InvalidRequestError):
    """The memory node refused a request (success=false); the message is the node's reason."""


@dataclass(frozen=True)
class Memory:
    """
    One stored memory as the memory node returned it.

    ``x``, ``y`` and ``yaw`` are in the map frame and meaningful only when ``pose_known``;
    times are seconds since the Unix epoch; ``score`` is set by recall only.
    """

    id: str  # noqa: A003 - the record field is called id in every interface
    event: str
    text: str
    x: float
    y: float
    yaw: float
    pose_known: bool
    tags: tuple[str, ...]
    mission_id: str
    timestamp: float
    last_seen: float
    seen_count: int
    source: str
    confidence: float
    score: float = 0.0

    @property
    def where(self) -> tuple[float, float] | None:
        """Return (x, y) in the map frame, or None when the robot's pose was unknown."""
        return (self.x, self.y) if self.pose_known else None


@dataclass(frozen=True)
class RecallAnswer:
    """The memories found (best first), the answer, and the ids of the memories it cites."""

    memories: tuple[Memory, ...]
    answer: str
    cited_ids: tuple[str, ...]
    context_tokens: int
    latency_ms: float
    message: str
    # The query plan the node made of the question (QueryPlan as a dict), and for questions
    # about where/when/how often a thing was seen, its tracks (latest sighting first).
    plan: dict[str, Any] | None = None
    tracks: tuple[dict[str, Any], ...] = ()

    def cited(self) -> tuple[Memory, ...]:
        """Return the memories the answer cites, in citation order."""
        by_id = {memory.id: memory for memory in self.memories}
        return tuple(by_id[i] for i in self.cited_ids if i in by_id)


@dataclass(frozen=True)
class WriteResult:
    """The stored memory; when ``merged``, the existing memory the write was merged into."""

    memory: Memory
    merged: bool
    message: str


@dataclass(frozen=True)
class Located:
    """
    Where and when a thing was seen: its latest sighting, its first, and the history.

    ``found`` is False when the store has no sighting (``tag`` then says what was looked for,
    or is empty when no stored tag matched the name).
    """

    tag: str
    found: bool
    message: str
    last: Memory | None = None
    first: Memory | None = None
    seen_count: int = 0
    memories: int = 0
    rooms: tuple[str, ...] = ()
    history: tuple[Memory, ...] = field(default_factory=tuple)
