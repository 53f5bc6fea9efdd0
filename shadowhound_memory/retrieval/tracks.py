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
Object and person tracks, and the store's vocabulary: both read from the store itself.

"Where is the red ball now?" is answered by the latest sighting of ``object:red_ball``, not by
the memory whose words are closest: a ball seen in the kitchen and later in the office is in the
office. A track is computed from the store on demand (one filtered scroll of the tag's memories),
so it survives restarts and is right after a forget without an index to keep in step.

The vocabulary (the tags a mission's memories carry, where each was last seen, when each was
first seen) is what a planner draws tags from. It is built from one scroll and then kept
current from the writes the service makes; forgets and retention drop it, and the next recall
builds it again.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
import threading
from typing import Any

from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.retrieval.planning import Vocabulary
from shadowhound_memory.store.base import MemoryFilter, MemoryStore

TRACK_KINDS = ('object', 'person')
HISTORY = 10


@dataclass(frozen=True)
class Sighting:
    """One memory of a thing: when, where the robot was, in which rooms, which memory."""

    memory_id: str
    time: float
    first_time: float
    x: float | None
    y: float | None
    rooms: tuple[str, ...]
    text: str
    seen_count: int = 1

    @classmethod
    def of(cls, record: MemoryRecord) -> 'Sighting':
        """Return the sighting a memory records (its latest observation time)."""
        pose = record.pose
        return cls(record.id, record.last_seen or record.timestamp, record.timestamp,
                   None if pose is None else pose.x, None if pose is None else pose.y,
                   tuple(t.partition(':')[2] for t in record.tags if t.startswith('room:')),
                   record.text, record.seen_count)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {'memory_id': self.memory_id, 'time': self.time, 'first_time': self.first_time,
                'x': self.x, 'y': self.y, 'rooms': list(self.rooms), 'text': self.text,
                'seen_count': self.seen_count}


@dataclass(frozen=True)
class Track:
    """
    Every sighting of one tag, summed up.

    ``last`` is the sighting observed latest (a merged memory's last observation counts),
    ``first`` the earliest; ``seen_count`` counts observations (merged ones included);
    ``rooms`` lists the rooms in the order the thing was first seen in them; ``history``
    holds the latest sightings, newest first, the first of them being ``last``.
    """

    tag: str
    first: Sighting
    last: Sighting
    seen_count: int
    memories: int
    rooms: tuple[str, ...]
    history: tuple[Sighting, ...]

    @property
    def moved(self) -> bool:
        """Tell whether the thing was seen in more than one room."""
        return len(self.rooms) > 1

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {'tag': self.tag, 'first': self.first.to_dict(), 'last': self.last.to_dict(),
                'seen_count': self.seen_count, 'memories': self.memories,
                'rooms': list(self.rooms), 'history': [s.to_dict() for s in self.history]}


def track_from_records(tag: str, records: Iterable[MemoryRecord],
                       history: int = HISTORY) -> Track | None:
    """Return the track of ``tag`` over these records (any order); None when none carry it."""
    sightings = sorted((Sighting.of(r) for r in records if tag in r.tags),
                       key=lambda s: (s.time, s.memory_id), reverse=True)
    if not sightings:
        return None
    first = min(sightings, key=lambda s: (s.first_time, s.memory_id))
    rooms: list[str] = []
    for sighting in sorted(sightings, key=lambda s: s.first_time):
        rooms += [room for room in sighting.rooms if room not in rooms]
    return Track(tag, first, sightings[0], sum(s.seen_count for s in sightings),
                 len(sightings), tuple(rooms), tuple(sightings[:max(1, history)]))


def find_track(store: MemoryStore, tag: str, mission_ids: tuple[str, ...] | None,
               time_from: float | None = None, time_to: float | None = None,
               history: int = HISTORY) -> Track | None:
    """Return the track of ``tag`` from the store, within a mission and time window."""
    flt = MemoryFilter(mission_ids=mission_ids, tags_any=(tag,), time_from=time_from,
                       time_to=time_to)
    return track_from_records(tag, store.scroll(flt, None), history)


class _State:
    """A vocabulary being kept current: mutable, turned into a frozen Vocabulary on demand."""

    def __init__(self) -> None:
        self.tags: set[str] = set()
        self.positions: dict[str, tuple[float, float, float]] = {}
        self.first_seen: dict[str, float] = {}
        self.start: float | None = None
        self.end: float | None = None
        self.snapshot: Vocabulary | None = None

    def add(self, record: MemoryRecord) -> None:
        self.snapshot = None
        seen = record.last_seen or record.timestamp
        self.start = record.timestamp if self.start is None else min(self.start,
                                                                     record.timestamp)
        self.end = seen if self.end is None else max(self.end, seen)
        for tag in record.tags:
            self.tags.add(tag)
            first = self.first_seen.get(tag)
            if first is None or record.timestamp < first:
                self.first_seen[tag] = record.timestamp
            if record.pose is not None:
                known = self.positions.get(tag)
                if known is None or seen >= known[2]:
                    self.positions[tag] = (record.pose.x, record.pose.y, seen)

    def vocabulary(self) -> Vocabulary:
        if self.snapshot is None:
            self.snapshot = Vocabulary(
                tags=frozenset(self.tags),
                positions={t: (p[0], p[1]) for t, p in self.positions.items()},
                first_seen=dict(self.first_seen), start=self.start, end=self.end)
        return self.snapshot


class VocabularyCache:
    """The vocabulary per mission selection, built from the store once and kept current."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._states: dict[tuple[str, ...] | None, _State] = {}
        self.builds = 0

    def get(self, mission_ids: Sequence[str] | None) -> Vocabulary:
        """Return the vocabulary of these missions (None: every mission)."""
        key = None if mission_ids is None else tuple(sorted(mission_ids))
        # Built under the lock: a write observed while the scroll runs would otherwise be
        # missed by the state being built and never added to it.
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = _State()
                for record in self.store.scroll(MemoryFilter(mission_ids=key), None):
                    state.add(record)
                self._states[key] = state
                self.builds += 1
            return state.vocabulary()

    def observe(self, records: Iterable[MemoryRecord]) -> None:
        """Take written (or merged) records into every cached vocabulary they belong to."""
        with self._lock:
            for record in records:
                for key, state in self._states.items():
                    if key is None or record.mission_id in key:
                        state.add(record)

    def invalidate(self) -> None:
        """Drop every cached vocabulary (after deletes): the next get rebuilds from the store."""
        with self._lock:
            self._states.clear()
