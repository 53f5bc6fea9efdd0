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

from concurrent.futures import ThreadPoolExecutor
import math
import sys
import threading

from hypothesis import given, settings, strategies as st
from pydantic import ValidationError
import pytest
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.pose.buffer import (PoseBuffer, PoseBufferConfig, PoseEstimate,
                                            PoseSample)


def line(t: float) -> tuple[float, float, float]:
    return 1.0 + 0.8 * t, -2.0 + 0.3 * t, 0.25


def spin(t: float) -> tuple[float, float, float]:
    return 0.5 * t, 0.0, math.remainder(2.0 * t, 2 * math.pi)


def angle_between(a: float, b: float) -> float:
    return abs(math.remainder(a - b, 2 * math.pi))


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
    buffer = filled(spin, [10.0, 10.1, 10.2])
    pose = buffer.lookup(10.1)
    assert (pose.x, pose.y, pose.yaw) == spin(10.1) and pose.known and not pose.extrapolated
    assert pose.frame_id == 'map' and pose.reason == ''


def test_heading_interpolates_along_the_shorter_arc_across_pi():
    buffer = PoseBuffer()
    buffer.add(PoseSample(1.0, 0.0, 0.0, 3.1))
    buffer.add(PoseSample(1.2, 0.0, 0.0, -3.1))
    middle = buffer.lookup(1.1).yaw
    assert abs(abs(middle) - math.pi) < 1e-9, middle
    quarter = buffer.lookup(1.05).yaw
    assert quarter == pytest.approx(3.1 + 0.25 * (2 * math.pi - 6.2))
    assert -math.pi < buffer.lookup(1.15).yaw <= math.pi


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


def test_a_duplicate_stamp_keeps_the_latest_sample():
    buffer = filled(line, [1.0, 1.1, 1.2])
    buffer.add(PoseSample(1.1, 7.0, 8.0, 0.5))
    assert len(buffer) == 3
    assert buffer.lookup(1.1) == PoseEstimate(7.0, 8.0, 0.5, True, '', 'map', False)


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
    assert not too_far.known and 'after the newest pose' in too_far.reason
    assert (too_far.x, too_far.y, too_far.yaw) == (0.0, 0.0, 0.0)
    behind = buffer.lookup(9.9)
    assert behind.known and behind.extrapolated
    assert (behind.x, behind.y) == pytest.approx(line(9.9)[:2])
    too_old = buffer.lookup(9.5)
    assert not too_old.known and 'older than the buffer' in too_old.reason


def test_heading_is_extrapolated_along_the_turn_across_pi():
    buffer = filled(spin, [1.5, 1.55], max_extrapolation_s=0.2)
    ahead = buffer.lookup(1.7)
    assert ahead.extrapolated and angle_between(ahead.yaw, spin(1.7)[2]) < 1e-9
    assert -math.pi < ahead.yaw <= math.pi


def test_a_single_sample_is_held_within_the_extrapolation_bound():
    buffer = filled(line, [4.0])
    pose = buffer.lookup(4.1)
    assert pose.known and pose.extrapolated and (pose.x, pose.y) == line(4.0)[:2]


def test_no_velocity_is_guessed_across_a_gap_at_the_edge():
    buffer = filled(line, [4.0, 6.0], max_gap_s=0.5)
    pose = buffer.lookup(6.1)
    assert pose.known and pose.extrapolated and (pose.x, pose.y) == line(6.0)[:2]


def test_an_empty_buffer_knows_no_pose():
    pose = PoseBuffer().lookup(1.0)
    assert not pose.known and pose.reason == 'no odometry yet'
    assert PoseBuffer().staleness(5.0) is None
    assert PoseBuffer().latest() is None and PoseBuffer().newest_stamp is None


def test_a_non_finite_lookup_stamp_is_unknown_not_an_error():
    assert not filled(line, [1.0, 1.1]).lookup(float('nan')).known


def test_latest_is_the_newest_stamp_whatever_the_arrival_order():
    buffer = filled(line, [3.0, 1.0, 2.0])
    assert buffer.latest() == PoseSample(3.0, *line(3.0)) and buffer.newest_stamp == 3.0


def test_history_and_sample_bounds_prune_old_samples():
    buffer = filled(line, [float(i) for i in range(1, 200)], history_s=50.0, max_gap_s=2.0)
    assert len(buffer) == 51 and not buffer.lookup(100.0).known and buffer.lookup(180.5).known
    capped = filled(line, [1 + i * 0.01 for i in range(500)], max_samples=100)
    assert len(capped) == 100
    assert capped.staleness(capped.newest_stamp + 2.0) == pytest.approx(2.0)
    assert not capped.lookup(1.5).known and capped.lookup(5.985).known


def test_a_late_sample_within_the_history_is_kept_in_order():
    buffer = filled(line, [100.0, 100.1, 100.2], history_s=10.0)
    buffer.add(PoseSample(95.0, *line(95.0)))
    assert len(buffer) == 4 and buffer.lookup(95.0).known
    assert buffer.newest_stamp == 100.2


def test_a_clock_that_jumps_back_starts_a_fresh_history():
    buffer = filled(line, [500.0, 500.1, 500.2], history_s=10.0)
    for t in (1.0, 1.1):
        buffer.add(PoseSample(t, *line(t)))
    assert len(buffer) == 2 and buffer.newest_stamp == 1.1
    assert buffer.lookup(1.05).known and not buffer.lookup(500.1).known


@pytest.mark.parametrize('fields', [
    {'history_s': 0.0}, {'max_samples': 1}, {'max_gap_s': -1.0},
    {'max_extrapolation_s': 11.0}, {'frame_id': 'not a frame'}, {'history': 5.0},
])
def test_config_out_of_bounds_is_refused(fields):
    with pytest.raises(ValidationError):
        PoseBufferConfig(**fields)


def test_reconfigure_prunes_to_the_new_bounds_on_the_next_add():
    buffer = filled(line, [1 + i * 0.1 for i in range(50)])
    buffer.reconfigure(PoseBufferConfig(max_samples=10, frame_id='odom'))
    buffer.add(PoseSample(6.0, *line(6.0)))
    assert len(buffer) == 10 and buffer.lookup(5.95).frame_id == 'odom'


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_odometry_is_rejected(bad):
    with pytest.raises(InvalidRequestError):
        PoseBuffer().add(PoseSample(1.0, bad, 0.0, 0.0))
    with pytest.raises(InvalidRequestError):
        PoseBuffer().add(PoseSample(bad, 0.0, 0.0, 0.0))
    with pytest.raises(InvalidRequestError):
        PoseBuffer().add(PoseSample(1.0, 0.0, 0.0, bad))


def test_a_stamp_that_is_not_a_positive_time_is_rejected():
    with pytest.raises(InvalidRequestError, match='positive'):
        PoseBuffer().add(PoseSample(0.0, 0.0, 0.0, 0.0))


def test_concurrent_adds_and_lookups_do_not_break_the_buffer():
    buffer = PoseBuffer(PoseBufferConfig(max_gap_s=1.0, history_s=1000.0))
    stamps = [1 + i / 100 for i in range(20000)]
    written = threading.Event()

    def writer(part):
        # One half forwards, one backwards: adds land in the middle and shift later samples.
        for t in stamps[part::2][::1 - 2 * part]:
            buffer.add(PoseSample(t, *line(t)))

    def reader():
        lookups = 0
        while not written.is_set():
            t = 1 + (lookups * 7.3) % 200
            pose = buffer.lookup(t)
            # A held single sample (extrapolated) is not on the line; interpolations must be.
            if pose.known and not pose.extrapolated:
                assert pose.x == pytest.approx(line(t)[0], abs=1e-6), (t, pose)
            lookups += 1

    interval = sys.getswitchinterval()
    # Switch threads often, so that an add without the lock would be seen half done.
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(4) as pool:
            readers = [pool.submit(reader), pool.submit(reader)]
            writers = [pool.submit(writer, 0), pool.submit(writer, 1)]
            for future in writers:
                future.result()
            written.set()
            for future in readers:
                future.result()
    finally:
        written.set()
        sys.setswitchinterval(interval)
    assert len(buffer) == len(stamps)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=0.4), min_size=2, max_size=40),
       st.floats(min_value=0.0, max_value=1.0), st.randoms(use_true_random=False))
def test_any_stamp_inside_a_linear_trajectory_matches_it(steps, fraction, rng):
    stamps = [10.0]
    for step in steps:
        stamps.append(stamps[-1] + step + 0.001)
    arrival = list(stamps)
    rng.shuffle(arrival)
    buffer = filled(spin, arrival)
    t = stamps[0] + fraction * (stamps[-1] - stamps[0])
    pose = buffer.lookup(t)
    assert pose.known and not pose.extrapolated
    assert (pose.x, pose.y) == pytest.approx(spin(t)[:2], abs=1e-9)
    assert angle_between(pose.yaw, spin(t)[2]) < 1e-9
