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
Inputs at the edges of what the interfaces allow, through a real node and real DDS.

Each case once gave a wrong answer or vanished without a word: every one must now be answered
correctly or refused with a reason, and every refusal counted where an operator looks.
"""

import json
import math
import time
import uuid

from nav_msgs.msg import Odometry
import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from shadowhound_memory.msg import MemoryRecord, Observation
from shadowhound_memory.ros.conversions import seconds_to_time
from shadowhound_memory.srv import Forget, Recall, WriteMemory

pytestmark = pytest.mark.ros

RELIABLE = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)


def collect(harness, msg_type, topic):
    received = []
    harness.probe.create_subscription(msg_type, topic, received.append, RELIABLE)
    return received


def publisher(harness, msg_type, topic):
    pub = harness.probe.create_publisher(msg_type, topic, RELIABLE)
    harness.wait_for(lambda: pub.get_subscription_count() > 0, what=f'{topic} subscriber')
    return pub


def diagnostics(harness):
    return {kv.key: kv.value for kv in harness.node.diagnostics_status().values}


def odometry(stamp, x, y, q, frame='map'):
    msg = Odometry()
    if stamp:
        msg.header.stamp = seconds_to_time(stamp)
    msg.header.frame_id = frame
    msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
    o = msg.pose.pose.orientation
    o.x, o.y, o.z, o.w = q
    return msg


def quaternion(yaw, scale=1.0):
    return (0.0, 0.0, scale * math.sin(yaw / 2.0), scale * math.cos(yaw / 2.0))


def write_json(harness, record, **fields):
    text = record if isinstance(record, str) else json.dumps(record)
    return harness.call(WriteMemory, 'write_memory',
                        WriteMemory.Request(record_json=text, **fields))


def record(**fields):
    return {'event': 'note', 'text': 'The charger is behind the sofa.', 'mission_id': 'm1',
            'timestamp': time.time(), **fields}


def stream_odometry(harness, pub, make, until, what):
    """Publish odometry (best effort may lose some) until the node shows it took effect."""
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        pub.publish(make())
        if until():
            return
        time.sleep(0.03)
    raise AssertionError(f'timed out waiting for {what}')


def test_deeply_nested_record_json_is_refused_with_a_clear_reason(make_memory):
    memory = make_memory()
    deep = '{"a":' * 10000 + '1' + '}' * 10000
    response = write_json(memory, deep)
    assert not response.success
    assert 'nest' in response.message and 'recursion' not in response.message
    assert write_json(memory, record()).success


def test_oversized_observations_are_counted_not_lost_silently(make_memory):
    memory = make_memory()
    events = collect(memory, MemoryRecord, 'memory/events')
    observations = publisher(memory, Observation, 'observations')
    huge_text = Observation(text='x' * 1_000_000, source='camera')
    many_tags = Observation(text='A box.', source='camera',
                            tags=[f'object:t{i}' for i in range(100_000)])
    observations.publish(huge_text)
    observations.publish(many_tags)
    observations.publish(Observation(text='A small red cube on the floor.', source='camera'))
    memory.wait_for(lambda: events, what='the small observation stored')

    def accounted():
        values = diagnostics(memory)
        return int(values['observations_refused']) + int(values['observations_lost'])
    memory.wait_for(lambda: accounted() >= 2, what='both oversized observations counted')
    assert [e.text for e in events] == ['A small red cube on the floor.']
    values = diagnostics(memory)
    if int(values['observations_refused']):
        assert values['observations_refused_reasons'] != '{}'


def test_odometry_quaternion_is_normalized_and_a_zero_one_refused(make_memory):
    memory = make_memory()
    odom = publisher(memory, Odometry, 'odom')
    t0 = time.time() - 5.0
    stamps = iter(t0 + i * 0.01 for i in range(100000))
    stream_odometry(memory, odom, lambda: odometry(next(stamps), 1.0, 2.0, quaternion(0.5, 3.0)),
                    lambda: len(memory.node.poses) > 0, 'a pose from scaled odometry')
    assert memory.node.poses.latest().yaw == pytest.approx(0.5, abs=1e-9)
    stream_odometry(memory, odom, lambda: odometry(next(stamps), 1.0, 2.0, (0.0, 0.0, 0.0, 0.0)),
                    lambda: int(diagnostics(memory)['odom_rejected']) > 0, 'a refused odometry')
    values = diagnostics(memory)
    assert 'quaternion' in values['last_pose_input_problem']
    assert memory.node.poses.latest().yaw == pytest.approx(0.5, abs=1e-9)


def test_odometry_outside_the_map_frame_is_said_in_diagnostics(make_memory):
    # Odometry stamps the memories of a robot without a localizer, so it is taken in its own
    # frame; what must not happen is taking it without a word.
    memory = make_memory()
    odom = publisher(memory, Odometry, 'odom')
    stream_odometry(memory, odom, lambda: odometry(time.time(), 1.0, 2.0, quaternion(0.0),
                                                   frame='odom'),
                    lambda: diagnostics(memory)['last_pose_input_problem'] != 'none',
                    'the frame mismatch in diagnostics')
    problem = diagnostics(memory)['last_pose_input_problem']
    assert "'odom'" in problem and "'map'" in problem


def test_odometry_without_a_stamp_means_now_and_the_pose_problem_clears(make_memory):
    memory = make_memory()
    events = collect(memory, MemoryRecord, 'memory/events')
    observations = publisher(memory, Observation, 'observations')
    observations.publish(Observation(text='A green plant by the window.', source='camera'))
    memory.wait_for(lambda: events, what='an observation stored without odometry')
    assert not events[0].pose.known
    assert diagnostics(memory)['last_pose_problem'] == 'no odometry yet'

    odom = publisher(memory, Odometry, 'odom')
    stream_odometry(memory, odom, lambda: odometry(0, 4.0, 5.0, quaternion(1.0)),
                    lambda: len(memory.node.poses) >= 3, 'unstamped odometry accepted')
    assert abs(memory.node.poses.newest_stamp - time.time()) < 60.0
    observations.publish(Observation(text='A yellow umbrella by the door.', source='camera'))
    memory.wait_for(lambda: len(events) >= 2, what='a second observation')
    odom.publish(odometry(0, 4.0, 5.0, quaternion(1.0)))
    assert events[1].pose.known, diagnostics(memory)['last_pose_problem']
    assert (events[1].pose.x, events[1].pose.y) == (4.0, 5.0)
    assert diagnostics(memory)['last_pose_problem'] == 'none'


def test_timestamps_beyond_int32_seconds_are_refused_not_wrapped(make_memory):
    memory = make_memory()
    year_2100 = 4102444800.0
    response = write_json(memory, record(timestamp=year_2100))
    assert not response.success
    assert 'timestamp' in response.message
    response = write_json(memory, record(timestamp=time.time(), last_seen=year_2100))
    assert not response.success
    assert 'last_seen' in response.message
    answer = memory.call(Recall, 'recall', Recall.Request(question='charger'))
    assert all(m.timestamp.sec >= 0 and m.last_seen.sec >= 0 for m in answer.memories)


def test_seen_count_beyond_uint32_is_refused(make_memory):
    memory = make_memory()
    response = write_json(memory, record(seen_count=2 ** 32))
    assert not response.success
    assert 'seen_count' in response.message
    assert write_json(memory, record(seen_count=2 ** 32 - 1)).success


def test_nul_and_bidi_characters_are_handled_alike_on_text_and_json_paths(make_memory):
    memory = make_memory()
    # A ROS string field cannot carry a NUL (the sender's serialization ends the string there),
    # so only the JSON path, where it travels escaped, can bring one to the node.
    by_text = memory.call(WriteMemory, 'write_memory',
                          WriteMemory.Request(text='Gas valve\u202e under the sink.',
                                              mission_id='text-path'))
    by_json = write_json(memory, record(text='Gas valve\u202e under\x00 the sink.',
                                        mission_id='json-path'))
    assert by_text.success and by_json.success, (by_text.message, by_json.message)
    assert by_json.record.text == by_text.record.text
    assert '\x00' not in by_json.record.text and '\u202e' not in by_json.record.text
    assert by_json.record.text.endswith('the sink.')
    answer = memory.call(Recall, 'recall',
                         Recall.Request(question='gas valve', mission_id='json-path'))
    assert answer.memories[0].text == by_text.record.text


def test_forget_with_an_empty_mission_uses_the_current_one(make_memory):
    memory = make_memory()
    now = time.time()
    for mission in ('m1', 'm2'):
        assert write_json(memory, record(mission_id=mission, timestamp=now - 10)).success
    window = {'time_from': seconds_to_time(now - 60), 'time_to': seconds_to_time(now)}
    response = memory.call(Forget, 'forget', Forget.Request(**window))
    assert response.success and response.deleted == 1, response.message
    other = memory.call(Recall, 'recall', Recall.Request(question='charger', mission_id='m2'))
    assert len(other.memories) == 1
    response = memory.call(Forget, 'forget', Forget.Request(all_missions=True, **window))
    assert response.success and response.deleted == 1, response.message
    refused = memory.call(Forget, 'forget', Forget.Request(all_missions=True))
    assert not refused.success


def test_a_retried_write_with_the_same_request_id_stores_once(make_memory):
    memory = make_memory()
    request_id = str(uuid.uuid4())
    request = WriteMemory.Request(text='The spare key is under the mat.', request_id=request_id)
    first = memory.call(WriteMemory, 'write_memory', request)
    again = memory.call(WriteMemory, 'write_memory', request)
    assert first.success and again.success, (first.message, again.message)
    assert again.record.id == first.record.id
    assert again.record.seen_count == 1
    assert request_id in again.message
    assert memory.node.service.count() == 1
    other = memory.call(WriteMemory, 'write_memory',
                        WriteMemory.Request(text='The spare key is under the mat.',
                                            request_id=str(uuid.uuid4())))
    assert other.success and 'already done' not in other.message
