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
The ingest pipeline: a bounded queue between the sensor callbacks and the store.

Sensor callbacks must return at once, while embedding and upserts take milliseconds per batch; so
observations are queued, and one worker thread stamps them with the interpolated pose, embeds and
stores them in batches. A full queue drops the newest observation and counts it: a robot's
perception should never stall on its memory, and a drop must never be silent.
"""

from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import logging
import queue
import threading
import time
from typing import Any, Protocol

from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.pose.buffer import PoseEstimate

_LOG = logging.getLogger(__name__)
# Odometry lagging an observation by up to pose_wait_s plus this is still expected to catch up.
CATCH_UP_SLACK_S = 0.5
# A record keeps 512 characters of text and 16 tags; an observation far beyond that is not one
# sentence of perception but a fault upstream, refused (and counted) instead of cut to fit.
MAX_OBSERVATION_TEXT_CHARS = 4096
MAX_OBSERVATION_TAGS = 64


def observation_problem(observation: Observation) -> str | None:
    """Return why an observation is refused before it is queued, or None when it is fine."""
    if len(observation.text) > MAX_OBSERVATION_TEXT_CHARS:
        return f'text longer than {MAX_OBSERVATION_TEXT_CHARS} characters'
    if len(observation.tags) > MAX_OBSERVATION_TAGS:
        return f'more than {MAX_OBSERVATION_TAGS} tags'
    return None


class PoseSource(Protocol):
    """What the pipeline needs of the pose buffer."""

    @property
    def newest_stamp(self) -> float | None:
        """Stamp of the newest odometry sample, None before the first."""

    def lookup(self, stamp: float) -> PoseEstimate:
        """Return the pose at ``stamp``."""


@dataclass(frozen=True)
class Pending:
    """An observation waiting in the queue, with when it arrived (monotonic seconds)."""

    observation: Observation
    context: MissionContext
    received: float


WriteBatch = Callable[[Sequence[tuple[Observation, PoseEstimate, MissionContext]]], Sequence[Any]]


class IngestPipeline:
    """Bounded queue plus one worker thread that writes observations in batches."""

    def __init__(self, write_batch: WriteBatch, poses: PoseSource, *, queue_size: int = 2000,
                 batch_size: int = 64, pose_wait_s: float = 0.3,
                 on_written: Callable[[Sequence[Any]], None] | None = None) -> None:
        self._write_batch = write_batch
        self._poses = poses
        self._queue: queue.Queue[Pending] = queue.Queue(maxsize=queue_size)
        self.batch_size = batch_size
        self.pose_wait_s = pose_wait_s
        self._on_written = on_written
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self.received = 0
        self.dropped = 0
        self.written = 0
        self.failed = 0
        self.poses_unknown = 0
        self.last_error = ''
        self.last_pose_problem = ''
        self.refused: Counter[str] = Counter()
        self.last_refusal = ''
        self._written_times: deque[float] = deque(maxlen=10000)

    def start(self) -> None:
        """Start the worker thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name='memory-ingest', daemon=True)
            self._thread.start()

    def submit(self, observation: Observation, context: MissionContext) -> bool:
        """
        Queue an observation; return False when it is not queued, with why in last_refusal.

        An observation beyond the bounds is refused (counted by reason), one that finds the
        queue full is dropped (counted).
        """
        problem = observation_problem(observation)
        with self._lock:
            self.received += 1
            if problem is not None:
                self.refused[problem] += 1
                self.last_refusal = problem
                return False
        try:
            self._idle.clear()
            self._queue.put_nowait(Pending(observation, context, time.monotonic()))
            return True
        except queue.Full:
            with self._lock:
                self.dropped += 1
                self.last_refusal = f'ingest queue full ({self._queue.maxsize})'
            return False

    def refused_reasons(self) -> dict[str, int]:
        """Return how many observations were refused, by reason."""
        with self._lock:
            return dict(self.refused)

    def drain(self, timeout: float) -> bool:
        """Wait until every queued observation is written; return False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.empty() and self._idle.wait(0.05) and self._queue.empty():
                return True
        return False

    def stop(self, drain_timeout: float = 5.0, join_timeout: float = 1.0) -> int:
        """
        Write what is queued (up to drain_timeout), stop the worker; return how many were not.

        Both waits are bounded so that a node stops within its launch grace period whatever
        is queued; what is left is counted (and the node says so) rather than waited for.
        """
        if self._thread is None:
            return self._queue.qsize()
        self.drain(drain_timeout)
        self._stop.set()
        self._thread.join(timeout=join_timeout)
        self._thread = None
        return self._queue.qsize()

    def stats(self) -> dict[str, float]:
        """Return counters and the write rate over the last 10 s, for diagnostics."""
        now = time.monotonic()
        with self._lock:
            recent = sum(1 for t in self._written_times if now - t <= 10.0)
            return {'received': self.received, 'dropped': self.dropped, 'written': self.written,
                    'failed': self.failed, 'queue_depth': self._queue.qsize(),
                    'rate_hz': recent / 10.0, 'poses_unknown': self.poses_unknown,
                    'refused': sum(self.refused.values())}

    def _next_batch(self) -> list[Pending]:
        try:
            first = self._queue.get(timeout=0.1)
        except queue.Empty:
            self._idle.set()
            return []
        batch = [first]
        while len(batch) < self.batch_size:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _wait_for_odometry(self, batch: Sequence[Pending]) -> None:
        # Observations often arrive before the odometry of their own instant; waiting briefly
        # lets the pose be interpolated instead of extrapolated or left unknown.
        # Only live odometry is worth waiting for: with none at all, or odometry further behind
        # than it could catch up with in pose_wait_s, waiting would only slow every batch down.
        newest_needed = max(p.observation.stamp for p in batch)
        newest = self._poses.newest_stamp
        if newest is None or newest_needed - newest > self.pose_wait_s + CATCH_UP_SLACK_S:
            return
        deadline = min(p.received for p in batch) + self.pose_wait_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            newest = self._poses.newest_stamp
            if newest is not None and newest >= newest_needed:
                return
            time.sleep(0.01)

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._next_batch()
            if not batch:
                continue
            self._wait_for_odometry(batch)
            items = [(p.observation, self._poses.lookup(p.observation.stamp), p.context)
                     for p in batch]
            unknown = [pose.reason for _, pose, _ in items if not pose.known]
            with self._lock:
                self.poses_unknown += len(unknown)
                # The newest observation's problem, cleared once poses are found again: a
                # problem that held an hour ago must not read as the state of things now.
                self.last_pose_problem = items[-1][1].reason if not items[-1][1].known else ''
            try:
                outcomes = self._write_batch(items)
            except Exception as exc:  # noqa: B902 - the worker must outlive any failed batch
                _LOG.exception('writing a batch of %d observations failed', len(items))
                with self._lock:
                    self.failed += len(items)
                    self.last_error = str(exc)
                continue
            now = time.monotonic()
            with self._lock:
                self.written += len(outcomes)
                self._written_times.extend([now] * len(outcomes))
            if self._on_written is not None:
                try:
                    self._on_written(outcomes)
                except Exception:  # noqa: B902 - a failing listener must not stop ingest
                    _LOG.exception('publishing written memories failed')


class SequenceGaps:
    """
    Counts observations lost on the way from the gaps in each sender's sequence numbers.

    Best-effort DDS drops samples before the node sees them, and not every middleware reports
    it; a sender that numbers its observations makes every loss countable here. A number at or
    below the last one seen means the sender restarted: counting starts again from it.
    """

    def __init__(self, max_senders: int = 1000) -> None:
        self._last: dict[str, int] = {}
        self._max_senders = max_senders
        self._lock = threading.Lock()
        self.lost = 0

    def see(self, sender: str, seq: int) -> int:
        """Record ``seq`` from ``sender`` (0: not numbered); return how many it shows lost."""
        if seq <= 0:
            return 0
        with self._lock:
            last = self._last.pop(sender, None)
            self._last[sender] = seq
            if len(self._last) > self._max_senders:
                del self._last[next(iter(self._last))]
            gap = seq - last - 1 if last is not None and seq > last else 0
            self.lost += gap
            return gap
