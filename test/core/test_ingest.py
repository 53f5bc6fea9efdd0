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

"""The ingest pipeline: batching, waiting for odometry, and counted (never silent) drops."""

import threading
import time

from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.memory.ingest import IngestPipeline
from shadowhound_memory.pose.buffer import PoseBuffer, PoseBufferConfig, PoseSample

CONTEXT = MissionContext(mission_id='m1')


class Recorder:
    """Collects the batches the pipeline writes (the store itself is tested elsewhere)."""

    def __init__(self) -> None:
        self.batches: list[list] = []

    def __call__(self, items):
        self.batches.append(list(items))
        return [object() for _ in items]


class StalledStore:
    """Fault double: a store write that hangs until released, to fill the queue on purpose."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, items):
        self.entered.set()
        self.release.wait(10.0)
        return [object() for _ in items]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_observations_are_written_in_batches_with_their_interpolated_pose():
    poses = PoseBuffer(PoseBufferConfig())
    poses.add(PoseSample(stamp=100.0, x=0.0, y=0.0, yaw=0.0))
    poses.add(PoseSample(stamp=100.5, x=1.0, y=2.0, yaw=0.0))
    recorder = Recorder()
    pipeline = IngestPipeline(recorder, poses, batch_size=8)
    for i in range(20):
        assert pipeline.submit(Observation(text=f'thing {i}', stamp=100.25), CONTEXT)
    pipeline.start()
    try:
        assert pipeline.drain(10.0)
    finally:
        pipeline.stop()
    items = [item for batch in recorder.batches for item in batch]
    assert len(items) == 20
    assert max(len(batch) for batch in recorder.batches) <= 8
    observation, pose, context = items[0]
    assert (pose.known, pose.x, pose.y) == (True, 0.5, 1.0)
    assert context.mission_id == 'm1'
    assert pipeline.stats()['written'] == 20


def test_an_observation_ahead_of_odometry_waits_for_it():
    poses = PoseBuffer(PoseBufferConfig(max_extrapolation_s=0.0))
    poses.add(PoseSample(stamp=10.0, x=0.0, y=0.0, yaw=0.0))
    recorder = Recorder()
    pipeline = IngestPipeline(recorder, poses, pose_wait_s=5.0)
    pipeline.start()
    try:
        pipeline.submit(Observation(text='ahead of odometry', stamp=10.25), CONTEXT)
        time.sleep(0.2)
        poses.add(PoseSample(stamp=10.5, x=2.0, y=0.0, yaw=0.0))
        assert wait_until(lambda: recorder.batches)
    finally:
        pipeline.stop()
    _, pose, _ = recorder.batches[0][0]
    assert pose.known and abs(pose.x - 1.0) < 1e-9


def test_without_odometry_nothing_waits_for_it():
    recorder = Recorder()
    # Were it to wait the 60 s, wait_until would give up first.
    pipeline = IngestPipeline(recorder, PoseBuffer(PoseBufferConfig()), pose_wait_s=60.0)
    pipeline.start()
    try:
        pipeline.submit(Observation(text='no robot pose anywhere', stamp=50.0), CONTEXT)
        assert wait_until(lambda: recorder.batches, timeout=20.0)
    finally:
        pipeline.stop()
    assert not recorder.batches[0][0][1].known


def test_a_full_queue_drops_and_counts_instead_of_blocking_the_caller():
    stalled = StalledStore()
    pipeline = IngestPipeline(stalled, PoseBuffer(PoseBufferConfig()), queue_size=5,
                              batch_size=1, pose_wait_s=0.0)
    pipeline.start()
    try:
        pipeline.submit(Observation(text='first', stamp=1.0), CONTEXT)
        assert stalled.entered.wait(5.0)
        # A blocking submit would wait for the stalled store and accept all twelve.
        accepted = [pipeline.submit(Observation(text=f'o{i}', stamp=1.0), CONTEXT)
                    for i in range(12)]
        assert accepted.count(True) == 5 and accepted.count(False) == 7
        assert pipeline.stats()['dropped'] == 7
    finally:
        stalled.release.set()
        pipeline.stop()
    assert pipeline.stats()['written'] == 6


def test_a_failing_batch_is_counted_and_the_worker_keeps_going():
    calls = []

    def flaky(items):
        calls.append(len(items))
        if len(calls) == 1:
            raise RuntimeError('store hiccup')
        return [object() for _ in items]

    pipeline = IngestPipeline(flaky, PoseBuffer(PoseBufferConfig()), batch_size=1,
                              pose_wait_s=0.0)
    pipeline.start()
    try:
        pipeline.submit(Observation(text='lost to the hiccup', stamp=1.0), CONTEXT)
        assert wait_until(lambda: pipeline.stats()['failed'] == 1)
        pipeline.submit(Observation(text='stored after it', stamp=1.0), CONTEXT)
        assert wait_until(lambda: pipeline.stats()['written'] == 1)
    finally:
        pipeline.stop()
    assert pipeline.last_error == 'store hiccup'
