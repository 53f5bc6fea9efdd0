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

"""The generated interfaces import from the installed package and survive DDS serialization."""

import pytest

pytestmark = pytest.mark.ros


def test_messages_round_trip_through_cdr_serialization():
    from rclpy.serialization import deserialize_message, serialize_message
    from shadowhound_memory.msg import MemoryPose, MemoryRecord

    record = MemoryRecord(
        id='3f2b5c1e-0000-4000-8000-000000000001', event='object_seen',
        text='Red ball on table.', pose=MemoryPose(x=1.2, y=3.5, yaw=1.57, frame_id='map',
                                                   known=True),
        tags=['object:red_ball', 'room:living_room'], mission_id='m-2025-10-15-1',
        seen_count=2, source='camera', confidence=0.875, score=0.75)
    record.timestamp.sec = 1697370000
    record.timestamp.nanosec = 100_000_000
    back = deserialize_message(serialize_message(record), MemoryRecord)
    assert back == record
    assert back.pose.known and back.tags == ['object:red_ball', 'room:living_room']


TIME = 'builtin_interfaces/Time'
RECORD = 'shadowhound_memory/MemoryRecord'
POSE = 'shadowhound_memory/MemoryPose'
# Field name -> ROS type, as rosidl reports it: a field that changes type (a k that turns
# signed, a stamp that becomes a float) breaks every client built against it.
EXPECTED = {
    'Recall.Request': {
        'question': 'string', 'mission_id': 'string', 'all_missions': 'boolean',
        'tags_any': 'sequence<string>', 'tags_all': 'sequence<string>', 'time_from': TIME,
        'time_to': TIME, 'within_last_s': 'double', 'use_place': 'boolean', 'x': 'double',
        'y': 'double', 'radius': 'double', 'k': 'uint32', 'min_score': 'float',
        'synthesize': 'boolean'},
    'Recall.Response': {
        'success': 'boolean', 'message': 'string', 'memories': f'sequence<{RECORD}>',
        'answer': 'string', 'cited_ids': 'sequence<string>', 'context_tokens': 'uint32',
        'latency_ms': 'double', 'plan_json': 'string', 'tracks_json': 'string'},
    'Locate.Request': {'name': 'string', 'mission_id': 'string', 'all_missions': 'boolean',
                       'history': 'uint32'},
    'Locate.Response': {
        'success': 'boolean', 'message': 'string', 'found': 'boolean', 'tag': 'string',
        'last': RECORD, 'first': RECORD, 'seen_count': 'uint32', 'memories': 'uint32',
        'rooms': 'sequence<string>', 'history': f'sequence<{RECORD}>'},
    'RecallTrace': {'question': 'string', 'plan_json': 'string', 'route': 'string'},
    'WriteMemory.Request': {
        'text': 'string', 'record_json': 'string', 'event': 'string',
        'tags': 'sequence<string>', 'mission_id': 'string', 'stamp': TIME, 'pose': POSE,
        'source': 'string'},
    'WriteMemory.Response': {'success': 'boolean', 'message': 'string', 'record': RECORD,
                             'merged': 'boolean'},
    'Forget.Request': {'ids': 'sequence<string>', 'mission_id': 'string', 'time_from': TIME,
                       'time_to': TIME},
    'Forget.Response': {'success': 'boolean', 'message': 'string', 'deleted': 'uint32'},
    'MemoryRecord': {
        'id': 'string', 'event': 'string', 'text': 'string', 'pose': POSE,
        'tags': 'sequence<string>', 'mission_id': 'string', 'timestamp': TIME,
        'last_seen': TIME, 'seen_count': 'uint32', 'source': 'string', 'confidence': 'float',
        'score': 'float'},
    'MemoryPose': {'x': 'double', 'y': 'double', 'yaw': 'double', 'frame_id': 'string',
                   'known': 'boolean'},
    'Observation': {'header': 'std_msgs/Header', 'text': 'string', 'source': 'string',
                    'tags': 'sequence<string>', 'confidence': 'float'},
}


def _interface(name):
    from shadowhound_memory import msg, srv
    head, _, part = name.partition('.')
    if part:
        return getattr(getattr(srv, head), part)
    return getattr(msg, head)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_interfaces_carry_every_field_the_agent_needs_with_its_type(name):
    fields = _interface(name).get_fields_and_field_types()
    # Fields may be added; the ones clients rely on keep their names and types.
    assert {k: fields.get(k) for k in EXPECTED[name]} == EXPECTED[name]


def test_observation_message_has_header_text_source_tags_confidence():
    from rclpy.serialization import deserialize_message, serialize_message
    from shadowhound_memory.msg import Observation

    obs = Observation(text='A person in the hallway.', source='detector', tags=['person:unknown'],
                      confidence=0.5)
    obs.header.frame_id = 'map'
    obs.header.stamp.sec = 12
    assert deserialize_message(serialize_message(obs), Observation) == obs
