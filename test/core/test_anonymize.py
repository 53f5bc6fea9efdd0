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

"""The anonymization step: what it redacts, what it leaves, and that nothing reaches the store."""

import re

from hypothesis import given, settings, strategies as st
import pytest

from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import MAX_TEXT_CHARS, MemoryRecord
from shadowhound_memory.memory.anonymize import Anonymizer, person_names, redact_contacts
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.store.base import MemoryFilter
from shadowhound_memory.store.edge import EdgeStore

NOW = 1_800_000_000.0


@pytest.mark.parametrize('text, expected', [
    ('Mail alice.smith+robots@example.co.uk now', 'Mail [email] now'),
    ('Call +1 (555) 123-4567 or 0170 1234567.', 'Call [phone] or [phone].'),
    ('Reach me at 555.123.4567', 'Reach me at [phone]'),
    ('Erin (+44 20 7946 0958) left', 'Erin ([phone]) left'),
    ('Seen on 2026-11-25 at 3.25 m from 12 boxes', 'Seen on 2026-11-25 at 3.25 m from 12 boxes'),
    ('Room 1204, shelf 3', 'Room 1204, shelf 3'),
])
def test_contacts_are_redacted_and_dates_counts_and_decimals_are_not(text, expected):
    assert redact_contacts(text) == expected


def test_person_tags_name_people_in_words():
    assert person_names(['person:alice_smith', 'object:cup', 'Person:Bob', 'person']) == [
        'alice smith', 'bob']


def test_a_tagged_name_is_redacted_in_the_text_and_in_later_untagged_texts():
    anonymizer = Anonymizer()
    assert anonymizer.redact_text('Alice Smith waved; alice left.', ['person:alice_smith']) == \
        '[person] waved; [person] left.'
    assert anonymizer.redact_text("Later ALICE's bag was on the sofa.") == \
        'Later [person] bag was on the sofa.'
    assert anonymizer.redact_text('Malice is not a name here.') == 'Malice is not a name here.'


def test_tags_keep_that_a_person_was_seen_but_not_who():
    assert Anonymizer().redact_tags(['person:alice', 'person:bob', 'room:kitchen',
                                     'phone:5551234567']) == ['person', 'room:kitchen']


def test_an_observation_loses_name_contacts_and_a_naming_source():
    anonymizer = Anonymizer()
    observation = anonymizer.observation(Observation(
        text='Bob (bob@example.com) asked for the charger', stamp=NOW,
        source='operator_bob', tags=('person:bob',)))
    assert observation.text == '[person] ([email]) asked for the charger'
    assert observation.tags == ('person',)
    assert observation.source == 'redacted'


def test_a_record_keeps_its_id_pose_and_validity_even_when_marks_make_it_longer():
    record = MemoryRecord(event='note', text=' '.join(['Bob'] * 120), tags=['person:bob'],
                          mission_id='m', timestamp=NOW)
    redacted = Anonymizer().record(record)
    assert redacted.id == record.id and redacted.tags == ['person']
    assert 'Bob' not in redacted.text and len(redacted.text) <= MAX_TEXT_CHARS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.lists(st.from_regex(r'person:[a-z]{1,12}', fullmatch=True),
                                       max_size=3))
def test_redaction_never_raises_and_leaves_no_tagged_name(text, tags):
    anonymizer = Anonymizer()
    out = anonymizer.redact_text(text, tags)
    for name in person_names(tags):
        if len(name) >= 3:
            assert not re.search(rf'\b{name}\b', out, re.IGNORECASE)


class SpyEmbedder:
    """The real model, remembering every text it was asked to embed."""

    def __init__(self, real):
        self.real = real
        self.model_id, self.dimension = real.model_id, real.dimension
        self.texts = []

    def embed(self, texts):
        self.texts += list(texts)
        return self.real.embed(texts)

    def embed_query(self, text):
        return self.real.embed_query(text)


def test_with_anonymize_on_nothing_personal_is_embedded_or_stored(tmp_path, embedder):
    spy = SpyEmbedder(embedder)
    service = MemoryService(EdgeStore(tmp_path / 'store'), spy, anonymize=True)
    pose = PoseEstimate(1.0, 2.0, 0.0, True, '', 'map')
    try:
        service.write_observations([(Observation(
            text='Carol Diaz is at the door, phone 0170 1234567', stamp=NOW, source='camera',
            tags=('person:carol_diaz',)), pose, MissionContext('m'))])
        service.write_text('Ask carol at carol@example.org about the keys', 'm', NOW + 1.0,
                           pose)
        service.write_record(MemoryRecord(event='note', text='Dave Lee called 555-123-4567',
                                          tags=['person:dave_lee'], mission_id='m',
                                          timestamp=NOW + 2.0))
        stored = service.store.scroll(MemoryFilter(), limit=None)
    finally:
        service.close()
    everything = ' '.join(spy.texts + [r.model_dump_json() for r in stored]).lower()
    for secret in ('carol', 'diaz', 'dave', 'lee', 'example', '1234567', '4567'):
        assert secret not in everything
    assert len(stored) == 3 and {r.event for r in stored} >= {'person_seen'}


def test_with_anonymize_off_the_text_is_stored_as_given(tmp_path, embedder):
    service = MemoryService(EdgeStore(tmp_path / 'store'), embedder)
    try:
        outcome = service.write_text('Ask carol@example.org about the keys', 'm', NOW)
    finally:
        service.close()
    assert outcome.record is not None and 'carol@example.org' in outcome.record.text
