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

"""RViz markers of the recent memories: a sphere and a label at each remembered place."""

from collections import OrderedDict
from collections.abc import Sequence
import threading

from builtin_interfaces.msg import Time
from shadowhound_memory.domain.records import MemoryRecord
from visualization_msgs.msg import Marker, MarkerArray

LABEL_CHARS = 40


def memory_markers(records: Sequence[MemoryRecord], frame_id: str, stamp: Time) -> MarkerArray:
    """Return the markers of the records that have a pose, replacing all earlier ones."""
    markers = [Marker(action=Marker.DELETEALL)]
    for index, record in enumerate(r for r in records if r.pose is not None):
        assert record.pose is not None
        for kind in ('point', 'label'):
            marker = Marker(ns=f'memories/{kind}', id=index, action=Marker.ADD)
            marker.header.frame_id = frame_id
            marker.header.stamp = stamp
            marker.pose.position.x = record.pose.x
            marker.pose.position.y = record.pose.y
            marker.pose.orientation.w = 1.0
            if kind == 'point':
                marker.type = Marker.SPHERE
                marker.scale.x = marker.scale.y = marker.scale.z = 0.25
                marker.color.r, marker.color.g, marker.color.b = 0.1, 0.6, 1.0
            else:
                marker.type = Marker.TEXT_VIEW_FACING
                marker.pose.position.z = 0.4
                marker.scale.z = 0.2
                marker.color.r = marker.color.g = marker.color.b = 1.0
                marker.text = record.text[:LABEL_CHARS]
            marker.color.a = 1.0
            markers.append(marker)
    return MarkerArray(markers=markers)


class RecentMemories:
    """The last memories written (at most ``limit``), kept for the markers; thread-safe."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._records: OrderedDict[str, MemoryRecord] = OrderedDict()
        self._lock = threading.Lock()
        # Set when the markers no longer show what is held; cleared by take().
        self.dirty = True

    def add(self, record: MemoryRecord) -> None:
        """Remember a record as the newest, forgetting the oldest beyond the limit."""
        with self._lock:
            self._records[record.id] = record
            self._records.move_to_end(record.id)
            while len(self._records) > self.limit:
                self._records.popitem(last=False)
            self.dirty = True

    def clear(self) -> None:
        """Forget every record (after a forget, before seeding again from the store)."""
        with self._lock:
            self._records.clear()
            self.dirty = True

    def take(self) -> list[MemoryRecord]:
        """Return the records, oldest first, and mark the markers as up to date."""
        with self._lock:
            self.dirty = False
            return list(self._records.values())
