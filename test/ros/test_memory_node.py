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

"""memory_node through real DDS: stamping, services, filters, parameters, introspection, faults."""

import math
import time

from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
import pytest
from rcl_interfaces.msg import Parameter as ParameterMsg, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from shadowhound_memory.msg import MemoryPose, MemoryRecord, Observation
from shadowhound_memory.ros.conversions import seconds_to_time
from shadowhound_memory.srv import Forget, Recall, WriteMemory
from std_msgs.msg import String
from visualization_msgs.msg import MarkerArray

pytestmark = pytest.mark.ros

RELIABLE = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)


def collect(harness, msg_type, topic, qos=RELIABLE):
    received = []
    harness.probe.create_subscription(msg_type, topic, received.append, qos)
    return received


def publisher(harness, msg_type, topic):
    pub = harness.probe.create_publisher(msg_type, topic, RELIABLE)
    harness.wait_for(lambda: pub.get_subscription_count() > 0, what=f'{topic} subscriber')
    return pub


def odometry(stamp, x, y, yaw):
    msg = Odometry()
    msg.header.stamp = seconds_to_time(stamp)
    msg.header.frame_id = 'map'
    msg.pose.pose.position.x = x
    msg.pose.pose.position.y = y
    msg.pose.pose.orientation.z = math.sin(yaw / 2.0)
    msg.pose.pose.orientation.w = math.cos(yaw / 2.0)
    return msg


def publish_path(harness, odom, t0, truth, samples=91):
    """Publish odometry along truth(t) at 30 Hz stamps from t0; wait until the node has each."""
    # Sensor QoS keeps 5 messages: pace the stream as a real 30 Hz one would be, re-sending a
    # sample the best-effort reader lost.
    for i in range(samples):
        t = t0 + i / 30.0
        for _ in range(20):
            odom.publish(odometry(t, *truth(t)))
            deadline = time.monotonic() + 0.25
            while len(harness.node.poses) <= i and time.monotonic() < deadline:
                time.sleep(0.002)
            if len(harness.node.poses) > i:
                break
    assert len(harness.node.poses) == samples


def write(harness, text, **fields):
    pose = fields.pop('pose', None)
    stamp = fields.pop('stamp', None)
    request = WriteMemory.Request(text=text, **fields)
    if pose is not None:
        request.pose = MemoryPose(x=pose[0], y=pose[1], yaw=0.0, known=True)
    if stamp is not None:
        request.stamp = seconds_to_time(stamp)
    response = harness.call(WriteMemory, 'write_memory', request)
    assert response.success, response.message
    return response


def recall(harness, question, **fields):
    return harness.call(Recall, 'recall', Recall.Request(question=question, **fields))


def test_observation_gets_the_pose_interpolated_at_its_stamp(make_memory):
    memory = make_memory()
    events = collect(memory, MemoryRecord, 'memory/events')
    odom = publisher(memory, Odometry, 'odom')
    observations = publisher(memory, Observation, 'observations')
    t0 = time.time() - 20.0

    def truth(t):
        return 0.5 * (t - t0), 0.2 * (t - t0), 0.3 * (t - t0)

    publish_path(memory, odom, t0, truth)
    seen_at = t0 + 1.2345
    obs = Observation(text='Red ball on the table.', source='camera', confidence=0.5)
    obs.header.stamp = seconds_to_time(seen_at)
    observations.publish(obs)
    lost = Observation(text='A blue mug on the shelf, long after odometry stopped.')
    lost.header.stamp = seconds_to_time(t0 + 10.0)
    observations.publish(lost)
    memory.wait_for(lambda: len(events) >= 2, what='two memory events')

    by_text = {e.text: e for e in events}
    stamped = by_text['Red ball on the table.']
    x, y, yaw = truth(stamped.timestamp.sec + stamped.timestamp.nanosec * 1e-9)
    assert stamped.pose.known
    assert stamped.pose.x == pytest.approx(x, abs=1e-6)
    assert stamped.pose.y == pytest.approx(y, abs=1e-6)
    assert stamped.pose.yaw == pytest.approx(yaw, abs=1e-6)
    assert x == pytest.approx(0.5 * 1.2345, abs=1e-6)
    assert 'object:red_ball' in stamped.tags
    assert not by_text['A blue mug on the shelf, long after odometry stopped.'].pose.known


def test_text_write_without_a_pose_takes_odometry_at_its_stamp(make_memory):
    # The agent says what it saw a moment ago: the memory must sit where the robot was then,
    # not where it is when the request arrives (it moved on at 0.5 m/s).
    memory = make_memory()
    odom = publisher(memory, Odometry, 'odom')
    t0 = time.time() - 3.0

    def truth(t):
        return 1.0 + 0.5 * (t - t0), 2.0 - 0.2 * (t - t0), 0.3 * (t - t0)

    publish_path(memory, odom, t0, truth)
    said_at = t0 + 0.8765
    response = write(memory, 'A teal toolbox under the stairs.', stamp=said_at)
    stored = response.record
    x, y, yaw = truth(stored.timestamp.sec + stored.timestamp.nanosec * 1e-9)
    assert stored.timestamp.sec + stored.timestamp.nanosec * 1e-9 == pytest.approx(said_at,
                                                                                   abs=1e-6)
    assert stored.pose.known, response.message
    assert (stored.pose.x, stored.pose.y, stored.pose.yaw) == (
        pytest.approx(x, abs=1e-6), pytest.approx(y, abs=1e-6), pytest.approx(yaw, abs=1e-6))
    assert x == pytest.approx(1.0 + 0.5 * 0.8765, abs=1e-6)
    # What recall returns is the stored pose, not one looked up again.
    found = recall(memory, 'Where is the teal toolbox?')
    assert (found.memories[0].pose.x, found.memories[0].pose.y) == (
        pytest.approx(x, abs=1e-6), pytest.approx(y, abs=1e-6))


def test_text_topic_observations_are_stored(make_memory):
    memory = make_memory()
    events = collect(memory, MemoryRecord, 'memory/events')
    text = publisher(memory, String, 'observations_text')
    text.publish(String(data='Keys on the hallway shelf.'))
    memory.wait_for(lambda: events, what='a memory event')
    assert events[0].text == 'Keys on the hallway shelf.'
    assert events[0].source == 'text'


def test_write_recall_forget_round_trip(make_memory):
    memory = make_memory()
    stored = write(memory, 'The charger is behind the sofa.', pose=(1.0, 2.0),
                   tags=['object:charger']).record
    write(memory, 'A green plant stands by the window.', pose=(5.0, 5.0))
    write(memory, 'Alice is in the kitchen.', pose=(8.0, 1.0))

    answer = recall(memory, 'Where is the charger?', synthesize=True)
    assert answer.success, answer.message
    assert answer.memories[0].id == stored.id
    assert (answer.memories[0].pose.x, answer.memories[0].pose.y) == (1.0, 2.0)
    assert stored.id in answer.cited_ids
    assert 'charger' in answer.answer
    assert answer.latency_ms > 0

    forgotten = memory.call(Forget, 'forget', Forget.Request(ids=[stored.id]))
    assert forgotten.success and forgotten.deleted == 1
    after = recall(memory, 'Where is the charger?')
    assert stored.id not in [m.id for m in after.memories]


def test_recall_filters_by_tags_place_time_and_mission(make_memory):
    memory = make_memory()
    now = time.time()
    old = write(memory, 'A red ball under the bed.', pose=(10.0, 10.0), stamp=now - 3600,
                tags=['room:bedroom']).record
    near = write(memory, 'A red ball on the kitchen table.', pose=(1.0, 1.0), stamp=now - 10,
                 tags=['room:kitchen']).record
    other = write(memory, 'A red ball in the garage.', pose=(1.0, 1.5), stamp=now - 5,
                  mission_id='m2').record

    def ids(**fields):
        response = recall(memory, 'Where did we see the red ball?', **fields)
        assert response.success, response.message
        return [m.id for m in response.memories]

    assert set(ids()) == {old.id, near.id}
    assert ids(tags_any=['room:bedroom']) == [old.id]
    assert ids(use_place=True, x=0.0, y=0.0, radius=3.0) == [near.id]
    assert ids(within_last_s=60.0) == [near.id]
    assert ids(time_to=seconds_to_time(now - 1000)) == [old.id]
    assert ids(mission_id='m2') == [other.id]
    assert set(ids(all_missions=True)) == {old.id, near.id, other.id}


def set_parameter(memory, name, value):
    kinds = {bool: (ParameterType.PARAMETER_BOOL, 'bool_value'),
             int: (ParameterType.PARAMETER_INTEGER, 'integer_value'),
             float: (ParameterType.PARAMETER_DOUBLE, 'double_value'),
             str: (ParameterType.PARAMETER_STRING, 'string_value')}
    kind, attribute = kinds[type(value)]
    parameter_value = ParameterValue(type=kind, **{attribute: value})
    request = SetParameters.Request(parameters=[ParameterMsg(name=name, value=parameter_value)])
    return memory.call(SetParameters, 'memory_node/set_parameters', request).results[0]


def test_live_parameter_changes_apply_and_bad_ones_are_rejected_with_a_reason(make_memory):
    memory = make_memory()
    for i in range(4):
        # 10 m apart, so duplicate merging keeps them apart.
        write(memory, f'Box number {i} in the storage room.', pose=(10.0 * i, 0.0))
    assert len(recall(memory, 'boxes').memories) == 4

    assert set_parameter(memory, 'recall_k', 2).successful
    assert len(recall(memory, 'boxes').memories) == 2
    assert set_parameter(memory, 'mission_id', 'm-next').successful
    assert recall(memory, 'boxes').memories == []

    rejected = set_parameter(memory, 'mission_id', 'not a mission id!')
    assert not rejected.successful and 'mission_id' in rejected.reason
    rejected = set_parameter(memory, 'recall_k', 0)
    assert not rejected.successful
    rejected = set_parameter(memory, 'store_path', '/tmp/elsewhere')
    assert not rejected.successful and 'read-only' in rejected.reason.lower()
    rejected = set_parameter(memory, 'adapter_mode', 'sometimes')
    assert not rejected.successful and 'adapter_mode' in rejected.reason
    assert memory.node.config.mission_id == 'm-next'
    assert memory.node.config.recall_k == 2


def test_diagnostics_and_markers_are_published(make_memory):
    memory = make_memory()
    diagnostics = collect(memory, DiagnosticArray, '/diagnostics')
    latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
    markers = collect(memory, MarkerArray, 'memory/markers', latched)
    write(memory, 'A silver laptop on the desk.', pose=(3.0, 4.0))
    recall(memory, 'laptop')

    def ours():
        for array in diagnostics:
            for status in array.status:
                values = {kv.key: kv.value for kv in status.values}
                if memory.namespace in status.name or values.get('store_size') == '1':
                    if values.get('recall_count') not in (None, '0'):
                        return values
        return None

    memory.wait_for(lambda: ours() is not None, what='diagnostics after a recall')
    values = ours()
    for key in ('store_size', 'ingest_dropped', 'ingest_rate_hz', 'json_validity_rate',
                'recall_p50_ms', 'recall_p95_ms', 'memory_backend', 'adapter_mode', 'llm'):
        assert key in values, key
    assert values['store_size'] == '1'

    def drawn():
        return [m for array in markers for m in array.markers if m.text.startswith('A silver')]

    memory.wait_for(lambda: drawn(), what='a labelled marker')
    assert (drawn()[-1].pose.position.x, drawn()[-1].pose.position.y) == (3.0, 4.0)


@pytest.mark.parametrize('request_fields', [
    {'question': ''},
    {'question': 'x' * 5000},
    {'question': 'where?', 'use_place': True, 'radius': -1.0},
    {'question': 'where?', 'use_place': True, 'x': float('nan'), 'radius': 1.0},
    {'question': 'where?', 'within_last_s': float('inf')},
    {'question': 'when?', 'time_from': seconds_to_time(2000.0),
     'time_to': seconds_to_time(1000.0)},
    {'question': 'when?', 'k': 100000},
    {'question': 'who?', 'mission_id': '../../etc'},
])
def test_malformed_recall_is_answered_with_a_reason_and_the_node_survives(
        make_memory, request_fields):
    memory = make_memory()
    response = recall(memory, **request_fields)
    assert not response.success
    assert response.message
    assert recall(memory, 'still there?').success


@pytest.mark.parametrize('request_fields', [
    {'text': ''},
    {'text': '   \n\t '},
    {'record_json': '{not json'},
    {'record_json': '{"event": "object_seen", "text": "x", "mission_id": "m1"}'},
    {'record_json': '[1, 2, 3]'},
    {'text': 'ok', 'tags': ['Not A Tag!!']},
    {'text': 'ok', 'mission_id': 'spaces are bad'},
])
def test_malformed_write_is_answered_with_a_reason_and_nothing_is_lost(
        make_memory, request_fields):
    memory = make_memory()
    kept = write(memory, 'A yellow toy car near the door.', pose=(0.0, 0.0)).record
    response = memory.call(WriteMemory, 'write_memory', WriteMemory.Request(**request_fields))
    assert not response.success
    assert response.message
    assert recall(memory, 'toy car').memories[0].id == kept.id


def test_json_record_write_is_validated_and_counted(make_memory):
    memory = make_memory()
    record = ('{"event":"object_seen","text":"Red ball on table.","pose":{"x":1.2,"y":3.5,'
              '"yaw":1.57},"tags":["object:red_ball","room:living_room"],'
              '"mission_id":"m1","timestamp":1697370000.1}')
    response = memory.call(WriteMemory, 'write_memory', WriteMemory.Request(record_json=record))
    assert response.success, response.message
    assert response.record.pose.x == pytest.approx(1.2)
    memory.call(WriteMemory, 'write_memory', WriteMemory.Request(record_json='{"text": 1}'))
    counts = memory.node.validity.snapshot()
    assert counts['schema_valid'] == 1 and counts['rejected'] == 1


def test_repeated_sighting_merges_into_one_memory(make_memory):
    memory = make_memory()
    now = time.time()
    first = write(memory, 'A red ball on the table.', pose=(1.0, 1.0), stamp=now - 20).record
    second = write(memory, 'A red ball on the table.', pose=(1.2, 1.0), stamp=now - 10)
    assert second.merged and second.record.id == first.id
    assert second.record.seen_count == 2


def test_disabled_backend_answers_that_memory_is_off(make_memory):
    memory = make_memory(memory_backend='skip')
    response = memory.call(WriteMemory, 'write_memory', WriteMemory.Request(text='hello'))
    assert not response.success and 'disabled' in response.message
    answer = recall(memory, 'anything?')
    assert not answer.success and 'disabled' in answer.message
