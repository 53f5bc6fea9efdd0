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
A time-indexed pose buffer that gives the robot pose at any recent instant.

An observation is stamped with the pose at the time it was observed, not the latest pose: a
detection that arrives 200 ms late on a robot driving at 1 m/s would otherwise be placed 20 cm
off. The samples come from odometry (30-100 Hz, continuous) or a localizer (AMCL, slam_toolbox:
1-10 Hz, and it jumps when it relocalizes). The rules, in the order they apply:

- between two samples the position is interpolated linearly and the heading along the shorter arc;
- two neighbouring samples farther apart than the robot can move in the time between them (a
  relocalization) are never interpolated: a stamp within max_extrapolation_s of one of them takes
  that sample as it is, any other stamp between them has an unknown pose;
- two samples more than max_gap_s apart are not interpolated either (same holding rule);
- slightly past the newest or before the oldest sample the pose is extrapolated within
  max_extrapolation_s, along the last pair's motion unless that pair is a gap or a jump (then the
  edge sample is held);
- a sample whose covariance exceeds the uncertainty bounds makes every pose derived from it
  uncertain (records then carry the tag pose:uncertain).

An invented pose is worse than none, so anything else is reported unknown with the reason.
"""

import bisect
from dataclasses import dataclass, replace
import logging
import math
import threading

from pydantic import BaseModel, ConfigDict, Field

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.records import FRAME_PATTERN, normalize_yaw

_LOG = logging.getLogger(__name__)


# Added to a record whose pose came from a sample above the covariance bounds: a tag, not a schema
# field, so recall can filter on it (tags_any / tags_all) and older readers keep working.
UNCERTAIN_POSE_TAG = 'pose:uncertain'


@dataclass(frozen=True)
class PoseSample:
    """One pose reading: where the robot was at ``stamp`` (seconds), and how sure it was."""

    stamp: float
    x: float
    y: float
    yaw: float
    # Standard deviations from the message covariance; 0.0 when the source gives none.
    position_std: float = 0.0
    yaw_std: float = 0.0


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
    uncertain: bool = False


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
    jump_distance_m: float = Field(
        0.5, gt=0.0, le=1000.0,
        description='Neighbouring samples farther apart than this plus max_speed_mps times '
                    'their time difference are a jump (relocalization).')
    jump_angle_rad: float = Field(
        0.5, gt=0.0, le=3.15,
        description='Heading change beyond this plus max_yaw_rate_rps times the time difference '
                    'is a jump.')
    max_speed_mps: float = Field(
        5.0, ge=0.0, le=100.0,
        description='Fastest the robot drives (jump detection); generous, since a motion taken '
                    'for a jump loses poses while relocalizations are metres.')
    max_yaw_rate_rps: float = Field(2.0, ge=0.0, le=100.0,
                                    description='Fastest the robot turns (jump detection).')
    uncertain_position_std_m: float = Field(
        0.5, ge=0.0, le=1e6,
        description='Position standard deviation above which a pose is uncertain; 0: never.')
    uncertain_yaw_std_rad: float = Field(
        0.5, ge=0.0, le=1e6,
        description='Heading standard deviation above which a pose is uncertain; 0: never.')


def _lerp_yaw(a: float, b: float, fraction: float) -> float:
    delta = math.atan2(math.sin(b - a), math.cos(b - a))
    return normalize_yaw(a + fraction * delta)


def _between(a: PoseSample, b: PoseSample, stamp: float) -> tuple[float, float, float]:
    fraction = (stamp - a.stamp) / (b.stamp - a.stamp)
    return (a.x + fraction * (b.x - a.x), a.y + fraction * (b.y - a.y),
            _lerp_yaw(a.yaw, b.yaw, fraction))


def jump_between(a: PoseSample, b: PoseSample, config: PoseBufferConfig) -> str:
    """Describe the jump from ``a`` to ``b`` if the robot cannot have moved so; '' otherwise."""
    dt = abs(b.stamp - a.stamp)
    distance = math.hypot(b.x - a.x, b.y - a.y)
    turn = abs(math.atan2(math.sin(b.yaw - a.yaw), math.cos(b.yaw - a.yaw)))
    if distance > config.jump_distance_m + config.max_speed_mps * dt or \
            turn > config.jump_angle_rad + config.max_yaw_rate_rps * dt:
        return (f'jump of {distance:.2f} m / {turn:.2f} rad in {dt:.2f} s between poses at '
                f'{a.stamp:.3f} and {b.stamp:.3f} (relocalization)')
    return ''


def std_from_covariance(covariance: 'list[float] | tuple[float, ...]') -> tuple[float, float]:
    """
    Return (position std, heading std) of a row-major 6x6 pose covariance (x y z roll pitch yaw).

    The position figure is the larger of the x and y deviations, so an uncertainty along one axis
    is not averaged away. All zeros (the usual "not given") give (0, 0).
    """
    if len(covariance) != 36:
        raise InvalidRequestError(f'a pose covariance has 36 entries (got {len(covariance)})')
    var_x, var_y, var_yaw = covariance[0], covariance[7], covariance[35]
    if not all(math.isfinite(v) for v in (var_x, var_y, var_yaw)):
        return math.inf, math.inf
    return math.sqrt(max(var_x, var_y, 0.0)), math.sqrt(max(var_yaw, 0.0))


class PoseBuffer:
    """Thread-safe odometry history: the sensor thread adds, the ingest thread looks up."""

    def __init__(self, config: PoseBufferConfig | None = None) -> None:
        self.config = config or PoseBufferConfig()
        self._stamps: list[float] = []
        self._samples: list[PoseSample] = []
        self._lock = threading.Lock()
        self.jumps = 0
        self.last_jump = ''

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
        sample = replace(sample, yaw=normalize_yaw(sample.yaw))
        with self._lock:
            if self._stamps and sample.stamp < self._stamps[-1] - self.config.history_s:
                # Older than the history keeps, so the clock went back (a restarted simulation or a
                # replayed bag): the old history would otherwise swallow every new sample.
                _LOG.warning('odometry time jumped back %.3f s; pose history cleared',
                             self._stamps[-1] - sample.stamp)
                self._stamps.clear()
                self._samples.clear()
            index = bisect.bisect_left(self._stamps, sample.stamp)
            if index == len(self._stamps) and index > 0:
                jump = jump_between(self._samples[-1], sample, self.config)
                if jump:
                    self.jumps += 1
                    self.last_jump = jump
                    _LOG.info('pose %s', jump)
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

    def _known(self, xyz: tuple[float, float, float], used: 'tuple[PoseSample, ...]',
               extrapolated: bool = False) -> PoseEstimate:
        return PoseEstimate(xyz[0], xyz[1], xyz[2], True, '', self.config.frame_id,
                            extrapolated, any(self._is_uncertain(s) for s in used))

    def _is_uncertain(self, sample: PoseSample) -> bool:
        position, yaw = self.config.uncertain_position_std_m, self.config.uncertain_yaw_std_rad
        return bool((position and sample.position_std > position) or
                    (yaw and sample.yaw_std > yaw))

    def _held(self, a: PoseSample, b: PoseSample, stamp: float, why: str) -> PoseEstimate:
        # Across a gap or a jump the two ends do not describe one motion: only a stamp close to
        # one end may take that end's pose, unchanged.
        nearer = a if stamp - a.stamp <= b.stamp - stamp else b
        if abs(stamp - nearer.stamp) <= self.config.max_extrapolation_s:
            return self._known((nearer.x, nearer.y, nearer.yaw), (nearer,), extrapolated=True)
        return self._unknown(why)

    def _problem(self, a: PoseSample, b: PoseSample) -> str:
        jump = jump_between(a, b, self.config)
        if jump:
            return jump
        gap = b.stamp - a.stamp
        if gap > self.config.max_gap_s:
            return (f'gap of {gap:.2f} s in the poses around the stamp exceeds max_gap_s '
                    f'{self.config.max_gap_s}')
        return ''

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
                return self._known((s.x, s.y, s.yaw), (s,))
            if 0 < index < len(stamps):
                a, b = samples[index - 1], samples[index]
                problem = self._problem(a, b)
                if problem:
                    return self._held(a, b, stamp, problem)
                return self._known(_between(a, b, stamp), (a, b))
            if index == len(stamps):
                ahead = stamp - stamps[-1]
                if ahead > config.max_extrapolation_s:
                    return self._unknown(
                        f'stamp {ahead:.2f} s after the newest pose exceeds '
                        f'max_extrapolation_s {config.max_extrapolation_s}')
                pair = samples[-2:] if len(samples) >= 2 else None
            else:
                behind = stamps[0] - stamp
                if behind > config.max_extrapolation_s:
                    return self._unknown(f'stamp {behind:.2f} s older than the buffer exceeds '
                                         f'max_extrapolation_s {config.max_extrapolation_s}')
                pair = samples[:2] if len(samples) >= 2 else None
            if pair is None or self._problem(pair[0], pair[1]):
                s = samples[-1] if index == len(stamps) else samples[0]
                return self._known((s.x, s.y, s.yaw), (s,), extrapolated=True)
            return self._known(_between(pair[0], pair[1], stamp), (pair[0], pair[1]),
                               extrapolated=True)
