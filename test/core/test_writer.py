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

import math
import re

from hypothesis import example, given, settings, strategies as st
import pytest
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import MAX_TAGS, MAX_TEXT_CHARS, parse_record, TAG_PATTERN
from shadowhound_memory.memory.writer import DeterministicWriter
from shadowhound_memory.pose.buffer import PoseEstimate

KNOWN = PoseEstimate(1.2, 3.5, 1.57, True, '', 'map')
UNKNOWN = PoseEstimate(0.0, 0.0, 0.0, False, 'no odometry yet', 'map')
MISSION = MissionContext(mission_id='m-2025-10-15-1', room='living_room')
WRITER = DeterministicWriter()


def write(text, pose=KNOWN, context=MISSION, **fields):
    fields.setdefault('stamp', 1697370000.1)
    return WRITER.write(Observation(text=text, **fields), pose, context)


@pytest.mark.parametrize('source', ['camera', 'unknown'])
def test_the_design_example_becomes_the_design_record(source):
    record = write('Red ball on table.', source=source)
    assert record.event == 'object_seen'
    assert record.text == 'Red ball on table.'
    assert (record.pose.x, record.pose.y, record.pose.yaw) == (1.2, 3.5, 1.57)
    assert {'object:red_ball', 'room:living_room'} <= set(record.tags)
    assert record.mission_id == 'm-2025-10-15-1' and record.timestamp == 1697370000.1
    assert record.frame_id == 'map' and record.confidence == 1.0


@pytest.mark.parametrize('text, source, event', [
    ('A person walks down the hallway.', 'camera', 'person_seen'),
    ('Two children near the sofa.', 'unknown', 'person_seen'),
    ('Smoke in the garage!', 'camera', 'alert'),
    ('A person has fallen near the stairs.', 'camera', 'alert'),
    ('The corridor is blocked by boxes.', 'unknown', 'alert'),
    ('Entered the bedroom.', 'odometry', 'place_visited'),
    ('Arrived at the kitchen.', 'navigation', 'place_visited'),
    ('Remember to charge tonight.', 'operator', 'note'),
    ('Spotted a blue mug.', 'unknown', 'object_seen'),
    ('A fire extinguisher hangs by the door.', 'unknown', 'object_seen'),
    ('Something odd.', 'front_camera/rgb', 'object_seen'),
    ('It is quiet.', 'unknown', 'note'),
    ('It seems quiet.', 'unknown', 'note'),
    ('Snow in the forecast.', 'unknown', 'note'),
])
def test_event_kind_follows_wording_and_source(text, source, event):
    assert write(text, source=source).event == event


@pytest.mark.parametrize('tags', [('person:alice',), ('person',), ('class:person',)])
def test_a_person_label_from_perception_makes_a_person_sighting(tags):
    assert write('Alice is in the kitchen.', source='camera', tags=tags).event == 'person_seen'


def test_a_person_detector_source_makes_a_person_sighting():
    assert write('Track 17 confirmed.', source='person_detector').event == 'person_seen'


def test_object_tags_take_the_colour_and_the_singular_noun():
    record = write('I see two red balls, a green plant and some boxes.')
    assert record.tags[:3] == ['object:red_ball', 'object:green_plant', 'object:box']


def test_room_in_the_text_wins_over_the_context_room():
    record = write('A green plant in the office.')
    assert 'room:office' in record.tags and 'room:living_room' not in record.tags
    assert 'room:dining_room' in write('Chairs in the Dining  Room.').tags


def test_the_context_room_is_normalized_into_a_tag():
    record = write('A mug.', context=MissionContext('m1', room='Storage Room'))
    assert 'room:storage_room' in record.tags
    roomless = write('A mug.', context=MissionContext('m1'))
    assert not any(t.startswith('room:') for t in roomless.tags)


def test_the_source_is_normalized_and_tagged():
    record = write('A cup.', source='  Detector:YOLO/front ')
    assert record.source == 'detector:yolo/front'
    assert 'source:detector_yolo_front' in record.tags
    bad = write('A cup.', source='my camera!')
    assert bad.source == 'unknown' and not any(t.startswith('source:') for t in bad.tags)


def test_unknown_pose_is_stored_as_no_pose():
    record = write('Keys on the shelf.', pose=UNKNOWN)
    assert record.pose is None and record.frame_id == 'map'


def test_a_known_pose_keeps_its_own_frame_whatever_the_sensor_frame():
    assert write('A cup.', frame_id='/camera_link').frame_id == 'map'
    assert write('A cup.', pose=UNKNOWN, frame_id='/odom').frame_id == 'odom'
    assert write('A cup.', pose=UNKNOWN, frame_id='not a frame!').frame_id == 'map'


def test_a_wrapped_yaw_is_stored_in_range():
    pose = PoseEstimate(0.0, 0.0, 3 * math.pi / 2, True, '', 'map')
    assert write('A cup.', pose=pose).pose.yaw == pytest.approx(-math.pi / 2)


def test_long_text_is_trimmed_on_a_word_boundary():
    record = write('word ' * 400)
    assert len(record.text) <= MAX_TEXT_CHARS and record.text.endswith('\u2026')
    assert record.text[:-1].split(' ')[-1] == 'word'


def test_a_letter_past_the_trimmed_length_still_makes_a_record():
    record = write('!' * 600 + ' a')
    assert len(record.text) == MAX_TEXT_CHARS and record.text.endswith('\u2026')


def test_control_characters_go_and_white_space_collapses():
    record = write('  Red\x00 ball\t\n on the\tta\u00adble \U0001F534\x1b ')
    assert record.text == 'Red ball on the table \U0001F534'


def test_caller_tags_are_normalized_and_unusable_ones_dropped():
    record = write('A box.', tags=('Object: Red Ball', '!!!', 'room:Kitchen', 'a:b:c', '_x'))
    assert record.tags[:2] == ['object:red_ball', 'room:kitchen']
    assert not {'!!!', 'a:b:c', '_x'} & set(record.tags)


def test_caller_tags_come_first_and_the_total_is_bounded():
    caller = tuple(f'label:{i}' for i in range(MAX_TAGS + 4))
    record = write('A red ball in the kitchen.', tags=caller)
    assert record.tags == list(caller[:MAX_TAGS])
    assert write('A red ball.', tags=('object:red_ball',)).tags.count('object:red_ball') == 1


@pytest.mark.parametrize('given, stored', [(1.7, 1.0), (-0.2, 0.0), (0.4, 0.4)])
def test_confidence_is_clamped_to_the_unit_interval(given, stored):
    assert write('A cup.', confidence=given).confidence == stored


def test_text_without_letters_or_digits_is_refused():
    for text in ('', '   ', '\x00\x01', '!!! ...', '\U0001F525'):
        with pytest.raises(InvalidRequestError, match='observation text is empty'):
            write(text)


@pytest.mark.parametrize('stamp', [float('nan'), float('inf'), 0.0, -3.0])
def test_a_stamp_that_is_not_a_time_is_refused(stamp):
    with pytest.raises(InvalidRequestError, match='stamp'):
        write('A cup.', stamp=stamp)


def test_nan_confidence_and_bad_mission_are_refused():
    with pytest.raises(InvalidRequestError, match='confidence'):
        write('A cup.', confidence=float('nan'))
    with pytest.raises(InvalidRequestError, match='mission_id'):
        write('A cup.', context=MissionContext('no spaces allowed'))


LETTER_OR_DIGIT = st.characters(categories=('L', 'N')).filter(str.isalnum)
ANY_TEXT = st.one_of(st.text(max_size=200), st.text(min_size=500, max_size=3000))


@settings(max_examples=300, deadline=None)
@given(before=ANY_TEXT, anchor=LETTER_OR_DIGIT, after=ANY_TEXT,
       tags=st.lists(st.text(max_size=80), max_size=30),
       source=st.text(max_size=80),
       confidence=st.floats(min_value=0.0, max_value=1.0),
       room=st.none() | st.text(max_size=40),
       frame=st.text(max_size=80),
       known=st.booleans(),
       yaw=st.floats(min_value=-1e6, max_value=1e6))
@example(before='\U0001F469\u200d\U0001F692 ', anchor='A', after='\x00\x7f\u2028' + 'x' * 900,
         tags=['Red Ball', ''], source='', confidence=0.0, room='', frame='', known=True, yaw=7.0)
def test_every_observation_with_a_letter_or_digit_becomes_a_schema_valid_record(
        before, anchor, after, tags, source, confidence, room, frame, known, yaw):
    observation = Observation(text=before + anchor + after, stamp=1700000000.0, source=source,
                              tags=tuple(tags), confidence=confidence, frame_id=frame)
    pose = PoseEstimate(-12.5, 1e5, yaw, known, '' if known else 'no odometry yet', 'map')
    record = WRITER.write(observation, pose, MissionContext('m-1', room))
    assert parse_record(record.model_dump(mode='json')) == record
    assert len(record.text) <= MAX_TEXT_CHARS and len(record.tags) <= MAX_TAGS
    assert (record.pose is not None) == known
    assert all(re.match(TAG_PATTERN, t) for t in record.tags)


NO_LETTER_OR_DIGIT = st.text(
    st.characters(exclude_categories=('L', 'N')).filter(lambda c: not c.isalnum()),
    max_size=600)


@settings(max_examples=200, deadline=None)
@given(text=NO_LETTER_OR_DIGIT, tags=st.lists(st.text(max_size=20), max_size=5),
       source=st.text(max_size=20))
def test_text_without_a_letter_or_digit_is_refused_with_the_package_error(text, tags, source):
    observation = Observation(text=text, stamp=1700000000.0, source=source, tags=tuple(tags))
    with pytest.raises(InvalidRequestError, match='observation text is empty'):
        WRITER.write(observation, KNOWN, MISSION)
