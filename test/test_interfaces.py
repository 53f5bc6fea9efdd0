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


def test_services_carry_every_field_the_agent_needs():
    from shadowhound_memory.srv import Forget, Recall, WriteMemory

    recall = Recall.Request()
    for field in ('question', 'mission_id', 'all_missions', 'tags_any', 'tags_all', 'time_from',
                  'time_to', 'within_last_s', 'use_place', 'x', 'y', 'radius', 'k', 'min_score',
                  'synthesize'):
        assert hasattr(recall, field), field
    for field in ('success', 'message', 'memories', 'answer', 'cited_ids', 'context_tokens'):
        assert hasattr(Recall.Response(), field), field
    for field in ('text', 'record_json', 'event', 'tags', 'mission_id', 'stamp', 'pose',
                  'source'):
        assert hasattr(WriteMemory.Request(), field), field
    for field in ('success', 'message', 'record', 'merged'):
        assert hasattr(WriteMemory.Response(), field), field
    for field in ('ids', 'mission_id', 'time_from', 'time_to'):
        assert hasattr(Forget.Request(), field), field
    assert hasattr(Forget.Response(), 'deleted')


def test_observation_message_has_header_text_source_tags_confidence():
    from rclpy.serialization import deserialize_message, serialize_message
    from shadowhound_memory.msg import Observation

    obs = Observation(text='A person in the hallway.', source='detector', tags=['person:unknown'],
                      confidence=0.5)
    obs.header.frame_id = 'map'
    obs.header.stamp.sec = 12
    assert deserialize_message(serialize_message(obs), Observation) == obs
