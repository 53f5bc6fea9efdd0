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
Memories from a recorded mission, written by the live node's own parts.

Pose and observation messages go through the pose buffer and the memory service (with its
writer) in the order they were recorded, as fast as they can be written.

The live node holds an observation until the pose stream reaches its stamp or pose_wait_s has
passed since it arrived; the replay does the same in recorded time, so a bag gives the memories
the node would have written from the same messages. Messages are read by field name, so the
decoded messages of a bag reader serve as well as rclpy's.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shadowhound_memory.domain.errors import MemoryPackageError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.memory.service import MemoryService, WriteOutcome
from shadowhound_memory.pose.buffer import PoseBuffer, PoseEstimate
from shadowhound_memory.pose.inputs import frame_problem, sample_from_msg, stamp_seconds


def observation_from_message(msg: Any, now: float) -> Observation:
    """
    Return the core observation of a shadowhound_memory/Observation message.

    A zero stamp means "now" (when it was received) and confidence 0 means "not given".
    """
    stamp = stamp_seconds(msg.header.stamp) or now
    confidence = float(msg.confidence)
    if confidence == 0.0:
        confidence = 1.0
    return Observation(text=msg.text, stamp=stamp, source=msg.source or 'unknown',
                       tags=tuple(msg.tags), confidence=confidence,
                       frame_id=msg.header.frame_id)


@dataclass
class ReplaySummary:
    """What a replay did: counts, and the reasons for everything not stored as asked."""

    observations: int = 0
    poses: int = 0
    stored: int = 0
    merged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    poses_unknown: Counter[str] = field(default_factory=Counter)
    poses_refused: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """Return the summary a person reads after an ingest."""
        skipped = sum(self.skipped.values())
        out = [f'{self.observations} observations and {self.poses} poses read: '
               f'{self.stored} memories stored, {self.merged} merged into earlier ones, '
               f'{skipped} skipped']
        out += [f'  skipped {n}: {why}' for why, n in self.skipped.most_common()]
        unknown = sum(self.poses_unknown.values())
        if unknown:
            out.append(f'  {unknown} stored without a pose:')
            out += [f'    {n}: {why}' for why, n in self.poses_unknown.most_common(5)]
        out += [f'  pose messages refused {n}: {why}'
                for why, n in self.poses_refused.most_common()]
        return out


def _reason_kind(reason: str) -> str:
    # Reasons carry numbers (stamps, gaps): group them by their wording, keep one example.
    return reason.split(' (', 1)[0][:160]


class Replay:
    """Feeds recorded messages to the pose buffer and the memory service in log order."""

    def __init__(self, service: MemoryService, poses: PoseBuffer, *, pose_input: str,
                 map_frame: str, mission_id: str, batch_size: int = 64,
                 pose_wait_s: float = 0.3,
                 on_written: Callable[[Sequence[WriteOutcome]], None] | None = None) -> None:
        self.service = service
        self.poses = poses
        self.pose_input = pose_input
        self.map_frame = map_frame
        self.context = MissionContext(mission_id=mission_id)
        self.batch_size = batch_size
        self.pose_wait_s = pose_wait_s
        self.on_written = on_written
        self.summary = ReplaySummary()
        self._pending: list[tuple[Observation, float]] = []
        self._ready: list[tuple[Observation, PoseEstimate, MissionContext]] = []

    def add_pose(self, msg: Any, log_time: float) -> None:
        """Add a pose message recorded at ``log_time`` (seconds)."""
        self.summary.poses += 1
        refused, problem = frame_problem(self.pose_input, msg.header.frame_id, self.map_frame)
        if refused:
            self.summary.poses_refused[problem] += 1
        else:
            try:
                self.poses.add(sample_from_msg(self.pose_input, msg))
            except MemoryPackageError as exc:
                self.summary.poses_refused[_reason_kind(str(exc))] += 1
        self._release(log_time)

    def add_observation(self, observation: Observation, log_time: float) -> None:
        """Add an observation received at ``log_time``."""
        self.summary.observations += 1
        self._pending.append((observation, log_time))
        self._release(log_time)

    def add_observation_message(self, msg: Any, log_time: float) -> None:
        """Add a shadowhound_memory/Observation message."""
        self.add_observation(observation_from_message(msg, log_time), log_time)

    def add_text(self, text: str, log_time: float) -> None:
        """Add a plain text observation (observations_text), stamped when it was received."""
        self.add_observation(Observation(text=text, stamp=log_time, source='text'), log_time)

    def _release(self, log_time: float) -> None:
        newest = self.poses.newest_stamp
        # In arrival order, as the live queue: an observation waits for the poses of its stamp
        # or until pose_wait_s of recorded time has passed. Its pose is looked up then, as the
        # live node does; writing waits for a full batch, which changes no outcome.
        while self._pending:
            observation, received = self._pending[0]
            if not ((newest is not None and newest >= observation.stamp) or
                    log_time - received >= self.pose_wait_s):
                break
            self._pending.pop(0)
            self._stamp(observation)
        if len(self._ready) >= self.batch_size:
            self._write()

    def _stamp(self, observation: Observation) -> None:
        pose = self.poses.lookup(observation.stamp)
        if not pose.known:
            self.summary.poses_unknown[_reason_kind(pose.reason)] += 1
        self._ready.append((observation, pose, self.context))

    def finish(self) -> ReplaySummary:
        """Write what still waits (the recording ended) and return the summary."""
        for observation, _ in self._pending:
            self._stamp(observation)
        self._pending.clear()
        self._write()
        return self.summary

    def _write(self) -> None:
        if not self._ready:
            return
        items, self._ready = self._ready, []
        outcomes = self.service.write_observations(items)
        for outcome in outcomes:
            if outcome.error:
                self.summary.skipped[_reason_kind(outcome.error)] += 1
            elif outcome.merged_into:
                self.summary.merged += 1
            else:
                self.summary.stored += 1
        if self.on_written is not None:
            self.on_written(outcomes)
