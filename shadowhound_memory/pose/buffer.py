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
A time-indexed odometry buffer that gives the robot pose at any recent instant.

An observation is stamped with the pose at the time it was observed, not the latest pose: a
detection that arrives 200 ms late on a robot driving at 1 m/s would otherwise be placed 20 cm
off. Between samples the position is interpolated linearly and the heading along the shorter
arc; slightly past the newest sample it is extrapolated within a bound; across a gap in odometry
or far from it the pose is reported unknown, because an invented pose is worse than none.
"""

import bisect
from dataclasses import dataclass
import logging
import math
import threading

from pydantic import BaseModel, ConfigDict, Field

from shadowhound_memory.errors import InvalidRequestError
from shadowhound_memory.memory.schema import FRAME_PATTERN, normalize_yaw

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoseSample:
    """One odometry reading: where the robot was at ``stamp`` (seconds)."""

    stamp: float
    x: float
    y: float
    yaw: float


@dataclass(frozen=True)
class PoseEstimate:
    """The pose at a requested instant, or why it is unknown (then x, y, yaw are 0)."""

    x: float
    y: float
    yaw: float
    known: bool
    reason: str
    frame_id: str
    extrapolated: bool = False


class PoseBufferConfig(BaseModel):
    """Bounds of the pose buffer."""

    model_config = ConfigDict(extra='forbid')

    history_s: float = Field(120.0, gt=0.0, le=86400.0,
                             description='Odometry kept behind the newest sample.')
    max_samples: int = Field(20000, ge=2, le=10_000_000,
                             description='Hard bound on kept samples (memory).')
    max_gap_s: float = Field(
        0.5, gt=0.0, le=60.0,
        description='Bracketing samples farther apart than this: pose unknown.')
    max_extrapolation_s: float = Field(
        0.2, ge=0.0, le=10.0,
        description='How far beyond the buffer a pose may be extrapolated.')
    frame_id: str = Field('map', pattern=FRAME_PATTERN,
                          description='Frame of the poses, copied into the records.')


def _lerp_yaw(a: float, b: float, fraction: float) -> float:
    delta = math.atan2(math.sin(b - a), math.cos(b - a))
    return normalize_yaw(a + fraction * delta)


def _between(a: PoseSample, b: PoseSample, stamp: float) -> tuple[float, float, float]:
    fraction = (stamp - a.stamp) / (b.stamp - a.stamp)
    return (a.x + fraction * (b.x - a.x), a.y + fraction * (b.y - a.y),
            _lerp_yaw(a.yaw, b.yaw, fraction))


class PoseBuffer:
    """Thread-safe odometry history: the sensor thread adds, the ingest thread looks up."""

    def __init__(self, config: PoseBufferConfig | None = None) -> None:
        self.config = config or PoseBufferConfig()
        self._stamps: list[float] = []
        self._samples: list[PoseSample] = []
        self._lock = threading.Lock()

    def reconfigure(self, config: PoseBufferConfig) -> None:
        """Apply new bounds; kept samples are pruned to them on the next add."""
        with self._lock:
            self.config = config

    def add(self, sample: PoseSample) -> None:
        """Insert a sample in stamp order; a duplicate stamp replaces the earlier sample."""
        values = (sample.stamp, sample.x, sample.y, sample.yaw)
        if not all(math.isfinite(v) for v in values):
            raise InvalidRequestError(f'odometry sample has a non-finite value: {values}')
        if sample.stamp <= 0.0:
            raise InvalidRequestError(f'odometry stamp must be positive (got {sample.stamp})')
        sample = PoseSample(sample.stamp, sample.x, sample.y, normalize_yaw(sample.yaw))
        with self._lock:
            if self._stamps and sample.stamp < self._stamps[-1] - self.config.history_s:
                # Older than the history keeps, so the clock went back (a restarted simulation or a
                # replayed bag): the old history would otherwise swallow every new sample.
                _LOG.warning('odometry time jumped back %.3f s; pose history cleared',
                             self._stamps[-1] - sample.stamp)
                self._stamps.clear()
                self._samples.clear()
            index = bisect.bisect_left(self._stamps, sample.stamp)
            if index < len(self._stamps) and self._stamps[index] == sample.stamp:
                self._samples[index] = sample
            else:
                self._stamps.insert(index, sample.stamp)
                self._samples.insert(index, sample)
            self._prune()

    def _prune(self) -> None:
        oldest_kept = self._stamps[-1] - self.config.history_s
        cut = bisect.bisect_left(self._stamps, oldest_kept)
        cut = max(cut, len(self._stamps) - self.config.max_samples)
        if cut > 0:
            del self._stamps[:cut]
            del self._samples[:cut]

    def __len__(self) -> int:
        with self._lock:
            return len(self._samples)

    @property
    def newest_stamp(self) -> float | None:
        """Stamp of the newest sample, None while empty."""
        with self._lock:
            return self._stamps[-1] if self._stamps else None

    def latest(self) -> PoseSample | None:
        """Return the newest sample, None while empty."""
        with self._lock:
            return self._samples[-1] if self._samples else None

    def staleness(self, now: float) -> float | None:
        """Seconds from the newest sample to ``now`` (stale odometry shows here)."""
        newest = self.newest_stamp
        return None if newest is None else now - newest

    def _unknown(self, reason: str) -> PoseEstimate:
        return PoseEstimate(0.0, 0.0, 0.0, False, reason, self.config.frame_id)

    def _known(self, xyz: tuple[float, float, float], extrapolated: bool = False) -> PoseEstimate:
        return PoseEstimate(xyz[0], xyz[1], xyz[2], True, '', self.config.frame_id,
                            extrapolated)

    def lookup(self, stamp: float) -> PoseEstimate:
        """Return the pose at ``stamp``: interpolated, bounded-extrapolated, or unknown."""
        if not math.isfinite(stamp):
            return self._unknown(f'stamp {stamp} is not a finite time')
        with self._lock:
            stamps, samples, config = self._stamps, self._samples, self.config
            if not samples:
                return self._unknown('no odometry yet')
            index = bisect.bisect_left(stamps, stamp)
            if index < len(stamps) and stamps[index] == stamp:
                s = samples[index]
                return self._known((s.x, s.y, s.yaw))
            if 0 < index < len(stamps):
                a, b = samples[index - 1], samples[index]
                gap = b.stamp - a.stamp
                if gap > config.max_gap_s:
                    return self._unknown(f'gap of {gap:.2f} s in odometry around the stamp '
                                         f'exceeds max_gap_s {config.max_gap_s}')
                return self._known(_between(a, b, stamp))
            if index == len(stamps):
                ahead = stamp - stamps[-1]
                if ahead > config.max_extrapolation_s:
                    return self._unknown(
                        f'stamp {ahead:.2f} s after the newest odometry exceeds '
                        f'max_extrapolation_s {config.max_extrapolation_s}')
                pair = samples[-2:] if len(samples) >= 2 else None
            else:
                behind = stamps[0] - stamp
                if behind > config.max_extrapolation_s:
                    return self._unknown(f'stamp {behind:.2f} s older than the buffer exceeds '
                                         f'max_extrapolation_s {config.max_extrapolation_s}')
                pair = samples[:2] if len(samples) >= 2 else None
            if pair is None or pair[1].stamp - pair[0].stamp > config.max_gap_s:
                s = samples[-1] if index == len(stamps) else samples[0]
                return self._known((s.x, s.y, s.yaw), extrapolated=True)
            return self._known(_between(pair[0], pair[1], stamp), extrapolated=True)
