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

"""The deterministic writer: the design's example, normalization, and always-valid output."""

from hypothesis import given, settings, strategies as st
import pytest
from shadowhound_memory.errors import InvalidRequestError
from shadowhound_memory.memory.schema import MAX_TAGS, MAX_TEXT_CHARS, parse_record
from shadowhound_memory.memory.writer import DeterministicWriter, MissionContext, Observation
from shadowhound_memory.pose.buffer import PoseEstimate

KNOWN = PoseEstimate(1.2, 3.5, 1.57, True, '', 'map')
UNKNOWN = PoseEstimate(0.0, 0.0, 0.0, False, 'no odometry yet', 'map')
MISSION = MissionContext(mission_id='m-2025-10-15-1', room='living_room')
WRITER = DeterministicWriter()


def write(text, pose=KNOWN, **fields):
    return WRITER.write(Observation(text=text, stamp=1697370000.1, **fields), pose, MISSION)


def test_the_design_example_becomes_the_design_record():
    record = write('Red ball on table.', source='camera')
    assert record.event == 'object_seen'
    assert record.text == 'Red ball on table.'
    assert (record.pose.x, record.pose.y, record.pose.yaw) == (1.2, 3.5, 1.57)
    assert {'object:red_ball', 'room:living_room'} <= set(record.tags)
    assert record.mission_id == 'm-2025-10-15-1' and record.timestamp == 1697370000.1


@pytest.mark.parametrize('text, source, event', [
    ('A person walks down the hallway.', 'camera', 'person_seen'),
    ('Smoke in the garage!', 'camera', 'alert'),
    ('Entered the bedroom.', 'odometry', 'place_visited'),
    ('Remember to charge tonight.', 'operator', 'note'),
    ('Spotted a blue mug.', 'unknown', 'object_seen'),
    ('It is quiet.', 'unknown', 'note'),
])
def test_event_kind_follows_wording_and_source(text, source, event):
    assert write(text, source=source).event == event


def test_a_person_tag_from_perception_makes_a_person_sighting():
    assert write('Alice is in the kitchen.', source='camera',
                 tags=('person:alice',)).event == 'person_seen'


def test_room_in_the_text_wins_over_the_context_room():
    record = write('A green plant in the office.')
    assert 'room:office' in record.tags and 'room:living_room' not in record.tags


def test_unknown_pose_is_stored_as_no_pose():
    assert write('Keys on the shelf.', pose=UNKNOWN).pose is None


def test_long_text_is_trimmed_on_a_word_boundary():
    record = write('word ' * 400)
    assert len(record.text) <= MAX_TEXT_CHARS and record.text.endswith('\u2026')
    assert not record.text[:-1].endswith(' ')


def test_caller_tags_are_normalized_and_unusable_ones_dropped():
    record = write('A box.', tags=('Object: Red Ball', '!!!', 'room:Kitchen'))
    assert record.tags[:2] == ['object:red_ball', 'room:kitchen']
    assert '!!!' not in record.tags


def test_text_without_letters_or_digits_is_refused():
    for text in ('', '   ', '\x00\x01', '!!! ...'):
        with pytest.raises(InvalidRequestError):
            write(text)


def test_bad_stamp_and_confidence_are_refused():
    with pytest.raises(InvalidRequestError):
        WRITER.write(Observation(text='x1', stamp=float('nan')), KNOWN, MISSION)
    with pytest.raises(InvalidRequestError):
        WRITER.write(Observation(text='x1', stamp=5.0, confidence=float('nan')), KNOWN, MISSION)


@settings(max_examples=300, deadline=None)
@given(text=st.text(min_size=1, max_size=3000),
       tags=st.lists(st.text(max_size=80), max_size=30),
       source=st.text(max_size=80),
       confidence=st.floats(min_value=-5.0, max_value=5.0),
       frame=st.text(max_size=80))
def test_every_accepted_observation_becomes_a_schema_valid_record(text, tags, source,
                                                                  confidence, frame):
    observation = Observation(text=text, stamp=1700000000.0, source=source, tags=tuple(tags),
                              confidence=confidence, frame_id=frame)
    try:
        record = WRITER.write(observation, KNOWN, MISSION)
    except InvalidRequestError:
        assert not any(c.isalnum() for c in ' '.join(text.split()))
        return
    assert parse_record(record.model_dump(mode='json')) == record
    assert len(record.tags) <= MAX_TAGS and 0.0 <= record.confidence <= 1.0
