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

"""The pose buffer against analytic trajectories: interpolation, wrap-around, gaps, bounds."""

import math
import threading

from hypothesis import given, settings, strategies as st
import pytest
from shadowhound_memory.errors import InvalidRequestError
from shadowhound_memory.pose.buffer import PoseBuffer, PoseBufferConfig, PoseSample


def line(t: float) -> tuple[float, float, float]:
    return 1.0 + 0.8 * t, -2.0 + 0.3 * t, 0.25


def filled(trajectory, stamps, **config) -> PoseBuffer:
    buffer = PoseBuffer(PoseBufferConfig(**config))
    for t in stamps:
        buffer.add(PoseSample(t, *trajectory(t)))
    return buffer


def test_linear_motion_is_interpolated_exactly_between_samples():
    buffer = filled(line, [100 + i / 30 for i in range(90)])
    for t in (100.0101, 100.5, 101.23456, 102.9):
        pose = buffer.lookup(t)
        assert pose.known and not pose.extrapolated
        assert (pose.x, pose.y, pose.yaw) == pytest.approx(line(t), abs=1e-9)


def test_an_exact_stamp_returns_its_sample():
    buffer = filled(line, [10.0, 10.1, 10.2])
    assert (buffer.lookup(10.1).x, buffer.lookup(10.1).y) == pytest.approx(line(10.1)[:2])


def test_heading_interpolates_along_the_shorter_arc_across_pi():
    buffer = PoseBuffer()
    buffer.add(PoseSample(1.0, 0.0, 0.0, 3.1))
    buffer.add(PoseSample(1.2, 0.0, 0.0, -3.1))
    middle = buffer.lookup(1.1).yaw
    assert abs(abs(middle) - math.pi) < 1e-9, middle


def test_a_circle_keeps_yaw_continuous_through_the_wrap():
    def circle(t):
        angle = 0.9 * t
        return math.cos(angle), math.sin(angle), math.atan2(math.sin(angle + math.pi / 2),
                                                            math.cos(angle + math.pi / 2))
    buffer = filled(circle, [1 + i / 30 for i in range(400)])
    for t in [1 + i / 7 for i in range(90)]:
        pose = buffer.lookup(t)
        expected = circle(t)
        assert math.hypot(pose.x - expected[0], pose.y - expected[1]) < 2e-3
        assert abs(math.atan2(math.sin(pose.yaw - expected[2]),
                              math.cos(pose.yaw - expected[2]))) < 1e-6


def test_out_of_order_and_duplicate_stamps_give_the_same_buffer():
    stamps = [5 + i * 0.1 for i in range(20)]
    in_order = filled(line, stamps)
    shuffled = PoseBuffer()
    for t in stamps[::2] + stamps[1::2]:
        shuffled.add(PoseSample(t, *line(t)))
    shuffled.add(PoseSample(stamps[4], 99.0, 99.0, 0.0))
    shuffled.add(PoseSample(stamps[4], *line(stamps[4])))
    assert len(shuffled) == len(in_order) == 20
    for t in (5.05, 5.45, 6.77):
        assert shuffled.lookup(t) == in_order.lookup(t)


def test_a_gap_in_odometry_leaves_the_pose_unknown_with_the_reason():
    buffer = filled(line, [1.0, 1.1, 3.0, 3.1], max_gap_s=0.5)
    pose = buffer.lookup(2.0)
    assert not pose.known and 'gap' in pose.reason
    assert buffer.lookup(1.05).known


def test_extrapolation_is_bounded_on_both_sides():
    buffer = filled(line, [10.0, 10.1, 10.2], max_extrapolation_s=0.2)
    ahead = buffer.lookup(10.35)
    assert ahead.known and ahead.extrapolated
    assert (ahead.x, ahead.y) == pytest.approx(line(10.35)[:2])
    too_far = buffer.lookup(10.5)
    assert not too_far.known and 'max_extrapolation_s' in too_far.reason
    assert buffer.lookup(9.9).known and not buffer.lookup(9.5).known


def test_an_empty_buffer_knows_no_pose():
    pose = PoseBuffer().lookup(1.0)
    assert not pose.known and pose.reason == 'no odometry yet'
    assert PoseBuffer().staleness(5.0) is None


def test_history_and_sample_bounds_prune_old_samples():
    buffer = filled(line, [float(i) for i in range(1, 200)], history_s=50.0, max_gap_s=2.0)
    assert len(buffer) == 51 and not buffer.lookup(100.0).known and buffer.lookup(180.5).known
    capped = filled(line, [1 + i * 0.01 for i in range(500)], max_samples=100)
    assert len(capped) == 100
    assert capped.staleness(capped.newest_stamp + 2.0) == pytest.approx(2.0)


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_odometry_is_rejected(bad):
    with pytest.raises(InvalidRequestError):
        PoseBuffer().add(PoseSample(1.0, bad, 0.0, 0.0))
    with pytest.raises(InvalidRequestError):
        PoseBuffer().add(PoseSample(bad, 0.0, 0.0, 0.0))


def test_concurrent_adds_and_lookups_do_not_break_the_buffer():
    buffer = PoseBuffer(PoseBufferConfig(max_gap_s=1.0))
    errors = []

    def writer():
        for i in range(2000):
            buffer.add(PoseSample(1 + i / 100, *line(1 + i / 100)))

    def reader():
        try:
            for i in range(2000):
                pose = buffer.lookup(1 + i / 150)
                if pose.known:
                    assert pose.x == pytest.approx(line(1 + i / 150)[0], abs=1e-6)
        except AssertionError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(buffer) == 2000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=0.4), min_size=2, max_size=40),
       st.floats(min_value=0.0, max_value=1.0))
def test_any_stamp_inside_a_linear_trajectory_matches_it(steps, fraction):
    stamps = [10.0]
    for step in steps:
        stamps.append(stamps[-1] + step + 0.001)
    buffer = filled(line, stamps)
    t = stamps[0] + fraction * (stamps[-1] - stamps[0])
    pose = buffer.lookup(t)
    assert pose.known
    assert (pose.x, pose.y) == pytest.approx(line(t)[:2], abs=1e-7)
