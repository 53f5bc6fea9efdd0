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
The pose buffer fed by a localizer: 1-10 Hz samples, relocalization jumps, covariance, frames.

The rules under test (stated in shadowhound_memory.pose.buffer): no interpolation across a jump or
a gap; a stamp within max_extrapolation_s of one end takes that end's pose unchanged; other stamps
between them are unknown with the reason; a pose from a sample above the covariance bounds is
uncertain, and the record written with it carries the tag pose:uncertain.
"""

import math

import pytest
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.records import MAX_TAGS, MemoryRecord, Pose
from shadowhound_memory.memory.service import with_pose_quality
from shadowhound_memory.pose.buffer import (jump_between, PoseBuffer, PoseBufferConfig,
                                            PoseEstimate, PoseSample, std_from_covariance,
                                            UNCERTAIN_POSE_TAG)
from shadowhound_memory.pose.inputs import frame_problem, topic_for

# A localizer at 2 Hz on a robot driving 0.4 m/s along x; it relocalizes at t=13 by 3 m in y.
RATE_HZ = 2.0
JUMP_AT = 13.0


def localizer(t: float) -> PoseSample:
    y = 3.0 if t >= JUMP_AT else 0.0
    return PoseSample(t, 0.4 * t, y, 0.1)


def buffer_of(stamps, **config) -> PoseBuffer:
    config.setdefault('max_gap_s', 1.5)  # 2.5 periods of a 2 Hz localizer
    buffer = PoseBuffer(PoseBufferConfig(**config))
    for t in stamps:
        buffer.add(localizer(t))
    return buffer


STAMPS = [10.0 + i / RATE_HZ for i in range(13)]  # 10.0 .. 16.0


def test_a_slow_localizer_is_interpolated_between_its_samples():
    pose = buffer_of(STAMPS).lookup(11.25)
    assert pose.known and not pose.extrapolated and not pose.uncertain
    assert (pose.x, pose.y) == pytest.approx((0.4 * 11.25, 0.0))


def test_a_relocalization_is_counted_and_described_once():
    buffer = buffer_of(STAMPS)
    assert buffer.jumps == 1
    assert 'jump of 3.01 m' in buffer.last_jump and 'relocalization' in buffer.last_jump


def test_no_pose_is_interpolated_across_a_jump_the_nearer_end_is_held():
    buffer = buffer_of(STAMPS, max_extrapolation_s=0.2)
    before = buffer.lookup(12.6)
    assert before.known and before.extrapolated
    assert (before.x, before.y) == pytest.approx((0.4 * 12.5, 0.0))
    after = buffer.lookup(12.9)
    assert after.known and after.extrapolated
    assert (after.x, after.y) == pytest.approx((0.4 * 13.0, 3.0))


def test_a_stamp_in_the_middle_of_a_jump_is_unknown_with_the_reason():
    pose = buffer_of(STAMPS, max_extrapolation_s=0.2).lookup(12.75)
    assert not pose.known
    assert 'jump of 3.01 m' in pose.reason and 'relocalization' in pose.reason
    assert (pose.x, pose.y, pose.yaw) == (0.0, 0.0, 0.0)


def test_no_velocity_is_extrapolated_from_a_jump_at_the_newest_sample():
    buffer = buffer_of([12.0, 12.5, 13.0], max_extrapolation_s=0.3)
    ahead = buffer.lookup(13.2)
    # Extrapolating along the jump would put the robot 1.2 m further in y: the last pose holds.
    assert ahead.known and ahead.extrapolated
    assert (ahead.x, ahead.y) == pytest.approx((0.4 * 13.0, 3.0))


def test_motion_the_robot_can_make_is_not_a_jump():
    config = PoseBufferConfig(jump_distance_m=0.5, max_speed_mps=1.5)
    a = PoseSample(1.0, 0.0, 0.0, 0.0)
    assert jump_between(a, PoseSample(2.0, 1.9, 0.0, 0.0), config) == ''
    assert jump_between(a, PoseSample(2.0, 2.1, 0.0, 0.0), config).startswith('jump of 2.10 m')
    assert jump_between(a, PoseSample(1.1, 0.0, 0.0, 0.65), config) == ''
    assert 'rad' in jump_between(a, PoseSample(1.1, 0.0, 0.0, 0.8), config)


def test_a_turn_through_pi_is_measured_along_the_shorter_arc():
    config = PoseBufferConfig()
    assert jump_between(PoseSample(1.0, 0, 0, 3.1), PoseSample(1.1, 0, 0, -3.1), config) == ''


def test_a_gap_longer_than_max_gap_holds_near_its_ends_and_is_unknown_between():
    buffer = buffer_of([10.0, 10.5, 14.0, 14.5], max_gap_s=1.5, max_extrapolation_s=0.2)
    assert buffer.jumps == 0
    assert buffer.lookup(10.6).known and buffer.lookup(10.6).extrapolated
    middle = buffer.lookup(12.0)
    assert not middle.known and 'gap of 3.50 s' in middle.reason


def test_covariance_gives_the_larger_axis_deviation_and_the_heading_deviation():
    covariance = [0.0] * 36
    covariance[0], covariance[7], covariance[35] = 0.04, 0.25, 0.09
    assert std_from_covariance(covariance) == pytest.approx((0.5, 0.3))
    assert std_from_covariance([0.0] * 36) == (0.0, 0.0)
    assert std_from_covariance([math.nan] * 36) == (math.inf, math.inf)
    with pytest.raises(InvalidRequestError, match='36 entries'):
        std_from_covariance([0.0] * 9)


def test_a_pose_from_an_uncertain_sample_is_uncertain():
    buffer = PoseBuffer(PoseBufferConfig(uncertain_position_std_m=0.5,
                                         uncertain_yaw_std_rad=0.3))
    buffer.add(PoseSample(1.0, 0.0, 0.0, 0.0, position_std=0.1, yaw_std=0.1))
    buffer.add(PoseSample(1.2, 0.1, 0.0, 0.0, position_std=0.9))
    buffer.add(PoseSample(1.4, 0.2, 0.0, 0.0, position_std=0.1, yaw_std=0.1))
    buffer.add(PoseSample(1.6, 0.3, 0.0, 0.0, yaw_std=0.4))
    assert not buffer.lookup(1.0).uncertain
    assert buffer.lookup(1.1).uncertain  # interpolated with the uncertain sample
    assert buffer.lookup(1.3).uncertain
    assert buffer.lookup(1.5).uncertain  # the heading deviation alone
    assert not buffer.lookup(1.4).uncertain


def test_zero_bounds_never_mark_a_pose_uncertain():
    buffer = PoseBuffer(PoseBufferConfig(uncertain_position_std_m=0.0,
                                         uncertain_yaw_std_rad=0.0))
    buffer.add(PoseSample(1.0, 0.0, 0.0, 0.0, position_std=100.0, yaw_std=100.0))
    assert buffer.lookup(1.0).known and not buffer.lookup(1.0).uncertain


def record(tags):
    return MemoryRecord(event='note', text='A box.', pose=Pose(x=1.0, y=2.0), tags=tags,
                        mission_id='m1', timestamp=100.0)


def test_an_uncertain_pose_tags_the_record_first_and_once():
    uncertain = PoseEstimate(1.0, 2.0, 0.0, True, '', 'map', uncertain=True)
    tagged = with_pose_quality(record(['object:box']), uncertain)
    assert tagged.tags == [UNCERTAIN_POSE_TAG, 'object:box']
    assert with_pose_quality(tagged, uncertain).tags == tagged.tags
    full = with_pose_quality(record([f'object:thing{i}' for i in range(MAX_TAGS)]), uncertain)
    assert full.tags[0] == UNCERTAIN_POSE_TAG and len(full.tags) == MAX_TAGS
    certain = PoseEstimate(1.0, 2.0, 0.0, True, '', 'map')
    assert with_pose_quality(record(['object:box']), certain).tags == ['object:box']


@pytest.mark.parametrize('kind', ['pose', 'pose_with_covariance'])
def test_a_localizer_pose_outside_the_map_frame_is_refused(kind):
    assert frame_problem(kind, 'map', 'map') == (False, '')
    assert frame_problem(kind, '/map', 'map') == (False, '')
    refused, why = frame_problem(kind, 'odom', 'map')
    assert refused and "'odom'" in why and "map_frame is 'map'" in why
    refused, why = frame_problem(kind, '', 'map')
    assert refused and 'no frame' in why


def test_odometry_in_its_own_frame_is_accepted_with_a_warning():
    assert frame_problem('odometry', 'odom', 'odom') == (False, '')
    refused, why = frame_problem('odometry', 'odom', 'map')
    assert not refused and 'set map_frame to the odometry frame' in why


def test_each_input_reads_its_relative_topic():
    assert [topic_for(k) for k in ('odometry', 'pose', 'pose_with_covariance')] == \
        ['odom', 'pose', 'pose']
