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
The memory node's health as one /diagnostics status, and the recall counters behind it.

Built from plain values the node hands over, so what a status says can be read here in one place.
"""

from collections import deque
from dataclasses import dataclass, field
import json
import threading
from typing import Any

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from shadowhound_memory.compose.config import MemoryConfig
from shadowhound_memory.compose.factory import LlmParts
from shadowhound_memory.domain.errors import MemoryPackageError
from shadowhound_memory.domain.records import ValidityCounter
from shadowhound_memory.memory.service import MemoryService


class LatencyWindow:
    """The last N latencies, for p50/p95 in diagnostics."""

    def __init__(self, size: int = 1000) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, value_ms: float) -> None:
        with self._lock:
            self._values.append(value_ms)

    def percentile(self, q: float) -> float:
        with self._lock:
            values = sorted(self._values)
        if not values:
            return 0.0
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)


class RecallStats:
    """How many recalls were answered, how many failed, and how long the good ones took."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.failures = 0
        self.latency = LatencyWindow()

    def add(self, success: bool, latency_ms: float) -> None:
        """Count one answered recall."""
        with self._lock:
            self.count += 1
            self.failures += 0 if success else 1
        if success:
            self.latency.add(latency_ms)


@dataclass
class NodeHealth:
    """What the node knows about itself at one moment, beside its config and parts."""

    ingest: dict[str, float]
    last_pose_problem: str
    odom_staleness_s: float | None
    pose_input: str
    odom_rejected: int
    pose_jumps: int
    last_pose_input_problem: str
    # Why observations were refused (reason: count), and what DDS lost before the node saw
    # them: as the middleware reported it, and from gaps in the senders' sequence numbers.
    refused_reasons: dict[str, int] = field(default_factory=dict)
    lost_dds_event: int = 0
    lost_seq_gaps: int = 0
    # Writes answered again from their request_id instead of being stored twice.
    write_replayed: int = 0
    # Service requests admitted and not yet answered, and those refused as busy.
    service_pending: int = 0
    service_busy_refusals: int = 0


def memory_status(name: str, hardware_id: str, config: MemoryConfig,
                  service: MemoryService | None, llm: LlmParts | None,
                  validity: ValidityCounter, recalls: RecallStats,
                  health: NodeHealth) -> DiagnosticStatus:
    """Return the node's health as one diagnostic status."""
    status = DiagnosticStatus(name=name, hardware_id=hardware_id)
    values: dict[str, Any] = {
        'memory_backend': config.memory_backend,
        'adapter_mode': config.adapter_mode,
        'writer': config.writer,
        'recall_planner': config.recall_planner,
        'mission_id': config.mission_id,
    }
    if llm is None:
        values['llm'] = 'not configured (llm_url is empty)'
    else:
        values.update(llm.router.status())
        values['llm_writing'] = json.dumps(llm.writer.stats.snapshot())
        values['llm_recall'] = json.dumps(llm.synthesizer.snapshot())
        values['llm_planning'] = json.dumps(llm.planner.snapshot())
    level = ord(DiagnosticStatus.OK)
    messages = []
    if service is None:
        level = ord(DiagnosticStatus.WARN)
        messages.append('memory disabled')
    else:
        try:
            values.update({f'store_{k}': v for k, v in service.health().items()})
            values['store_size'] = service.count()
        except MemoryPackageError as exc:
            level = ord(DiagnosticStatus.ERROR)
            messages.append(f'store: {exc}')
    ingest = health.ingest
    values.update({f'ingest_{k}': v for k, v in ingest.items()})
    if ingest['dropped']:
        level = max(level, ord(DiagnosticStatus.WARN))
        messages.append(f"{ingest['dropped']:.0f} observations dropped")
    values['json_validity_rate'] = round(validity.validity_rate, 4)
    values['json_validity'] = json.dumps(validity.snapshot())
    values['recall_count'] = recalls.count
    values['recall_failures'] = recalls.failures
    values['recall_p50_ms'] = round(recalls.latency.percentile(0.5), 2)
    values['recall_p95_ms'] = round(recalls.latency.percentile(0.95), 2)
    staleness = health.odom_staleness_s
    values['odom_staleness_s'] = 'no odometry' if staleness is None else round(staleness, 3)
    values['pose_input'] = health.pose_input
    values['odom_rejected'] = health.odom_rejected
    values['pose_jumps'] = health.pose_jumps
    values['last_pose_input_problem'] = health.last_pose_input_problem or 'none'
    values['observations_refused'] = ingest['refused']
    values['observations_refused_reasons'] = json.dumps(health.refused_reasons)
    lost = health.lost_dds_event + health.lost_seq_gaps
    values['observations_lost'] = lost
    values['observations_lost_dds_event'] = health.lost_dds_event
    values['observations_lost_seq_gaps'] = health.lost_seq_gaps
    values['write_replayed'] = health.write_replayed
    values['service_pending'] = health.service_pending
    values['service_busy_refusals'] = health.service_busy_refusals
    if lost or ingest['refused']:
        level = max(level, ord(DiagnosticStatus.WARN))
        messages.append(f"{lost} observations lost in transport, {ingest['refused']:.0f} "
                        'refused')
    values['last_pose_problem'] = health.last_pose_problem or 'none'
    status.level = bytes([level])
    status.message = '; '.join(messages) or 'ok'
    status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
    return status
