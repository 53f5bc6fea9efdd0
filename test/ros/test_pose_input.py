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
memory_node with each pose input through real DDS: odometry, PoseStamped, PoseWithCovariance.

A publisher node plays a 5 Hz localizer that relocalizes once; observations published to the node
must come back as memories whose poses follow the rules of the pose buffer (interpolated between
samples, held near a jump, unknown across it, tagged uncertain above the covariance bounds), and a
localizer pose in another frame than map_frame must be refused.
"""

import math
import time

from geometry_msgs.msg import PoseStamped, PoseWithCovarianceStamped
from nav_msgs.msg import Odometry
import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from shadowhound_memory.msg import MemoryRecord, Observation
from shadowhound_memory.ros.conversions import seconds_to_time

pytestmark = pytest.mark.ros

RELIABLE = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
TYPES = {'odometry': (Odometry, 'odom'), 'pose': (PoseStamped, 'pose'),
         'pose_with_covariance': (PoseWithCovarianceStamped, 'pose')}
RATE_HZ = 5.0


def pose_message(kind, stamp, x, y, yaw, frame='map', std=0.0):
    msg_type, _ = TYPES[kind]
    msg = msg_type()
    msg.header.stamp = seconds_to_time(stamp)
    msg.header.frame_id = frame
    pose = msg.pose if kind == 'pose' else msg.pose.pose
    pose.position.x, pose.position.y = x, y
    pose.orientation.z, pose.orientation.w = math.sin(yaw / 2.0), math.cos(yaw / 2.0)
    if kind != 'pose':
        covariance = [0.0] * 36
        covariance[0] = covariance[7] = std * std
        msg.pose.covariance = covariance
    return msg


def publish_until_buffered(memory, publisher, msg, expected):
    # Best-effort reader: re-send a sample it lost, as a real stream would send the next one.
    for _ in range(40):
        publisher.publish(msg)
        deadline = time.monotonic() + 0.25
        while len(memory.node.poses) < expected and time.monotonic() < deadline:
            time.sleep(0.005)
        if len(memory.node.poses) >= expected:
            return
    raise AssertionError(f'the node never buffered pose sample {expected}')


def observe(memory, observations, events, text, stamp):
    before = len(events)
    msg = Observation(text=text, source='camera')
    msg.header.stamp = seconds_to_time(stamp)
    observations.publish(msg)
    memory.wait_for(lambda: any(e.text == text for e in events[before:]), timeout=60.0,
                    what=f'the memory of {text!r}')
    return next(e for e in events if e.text == text)


def connect(memory, kind):
    msg_type, topic = TYPES[kind]
    events = []
    memory.probe.create_subscription(MemoryRecord, 'memory/events', events.append, RELIABLE)
    poses = memory.probe.create_publisher(msg_type, topic, RELIABLE)
    observations = memory.probe.create_publisher(Observation, 'observations', RELIABLE)
    memory.wait_for(lambda: poses.get_subscription_count() > 0 and
                    observations.get_subscription_count() > 0, what='the node subscriptions')
    return poses, observations, events


@pytest.mark.parametrize('kind', ['odometry', 'pose', 'pose_with_covariance'])
def test_a_jumping_localizer_stamps_memories_by_the_stated_rules(make_memory, kind):
    memory = make_memory(pose_input=kind, pose_max_gap_s=0.5, pose_max_extrapolation_s=0.05,
                         pose_wait_s=0.0)
    poses, observations, events = connect(memory, kind)
    t0 = time.time() - 30.0
    # 0.3 m/s along x; at sample 6 the localizer relocalizes 2 m along y.
    for i in range(11):
        t = t0 + i / RATE_HZ
        publish_until_buffered(memory, poses, pose_message(kind, t, 0.3 * i / RATE_HZ,
                                                           2.0 if i >= 6 else 0.0, 0.2), i + 1)
    assert memory.node.poses.jumps == 1

    between = observe(memory, observations, events, 'A red ball by the door.', t0 + 0.3)
    assert between.pose.known
    assert (between.pose.x, between.pose.y) == pytest.approx((0.09, 0.0), abs=1e-6)
    assert between.pose.yaw == pytest.approx(0.2, abs=1e-6)
    held = observe(memory, observations, events, 'A blue box after the jump.', t0 + 1.17)
    assert held.pose.known
    assert (held.pose.x, held.pose.y) == pytest.approx((0.36, 2.0), abs=1e-6)
    across = observe(memory, observations, events, 'A green cup during the jump.', t0 + 1.1)
    assert not across.pose.known
    assert memory.node.ingest.last_pose_problem.startswith('jump of')
    assert 'pose:uncertain' not in between.tags


def test_a_localizer_pose_with_a_large_covariance_marks_the_memory_uncertain(make_memory):
    kind = 'pose_with_covariance'
    memory = make_memory(pose_input=kind, pose_uncertain_std_m=0.5, pose_wait_s=0.0)
    poses, observations, events = connect(memory, kind)
    t0 = time.time() - 30.0
    for i, std in enumerate([0.1, 0.1, 0.8, 0.8]):
        publish_until_buffered(memory, poses, pose_message(kind, t0 + i * 0.2, 0.1 * i, 0.0, 0.0,
                                                           std=std), i + 1)
    sure = observe(memory, observations, events, 'A yellow chair in the hall.', t0 + 0.1)
    unsure = observe(memory, observations, events, 'A black bag in the office.', t0 + 0.5)
    assert sure.pose.known and 'pose:uncertain' not in sure.tags
    assert unsure.pose.known and unsure.tags[0] == 'pose:uncertain'


@pytest.mark.parametrize('kind', ['pose', 'pose_with_covariance'])
def test_a_localizer_pose_in_another_frame_is_refused_and_reported(make_memory, kind):
    memory = make_memory(pose_input=kind)
    poses, _, _ = connect(memory, kind)
    stamp = time.time() - 5.0
    memory.wait_for(lambda: (poses.publish(pose_message(kind, stamp, 1.0, 1.0, 0.0,
                                                        frame='odom')) or
                             memory.node.pose_input.rejected > 0), what='the refusal')
    assert len(memory.node.poses) == 0
    values = {kv.key: kv.value for kv in memory.node.diagnostics_status().values}
    assert int(values['odom_rejected']) >= 1
    assert "in 'odom' refused" in values['last_pose_input_problem']
    assert values['pose_input'] == f'{kind} on pose'
