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
Memory hygiene on a real Edge store with the real model: duplicates, merging, age, quota.

Each duplicate rule (mission, event, place, time, text) is broken one at a time to show that it,
alone, keeps two sightings apart.
"""

from pydantic import ValidationError
import pytest

from shadowhound_memory.domain.records import MAX_TAGS, MemoryRecord, Pose, SCHEMA_VERSION
from shadowhound_memory.memory.hygiene import (DedupeConfig, enforce_quota, find_duplicate,
                                               merged, purge_expired, RetentionConfig)
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.edge import EdgeStore

NOW = 1_800_000_000.0
BALL = 'Red ball on the kitchen table.'


@pytest.fixture
def store(tmp_path, embedder):
    made = EdgeStore(tmp_path / 'store')
    made.open_collection(CollectionInfo(embedder.model_id, embedder.dimension, SCHEMA_VERSION))
    yield made
    made.close()


def sighting(text=BALL, stamp=NOW, xy=(1.0, 1.0), mission='m1', event='object_seen', **extra):
    pose = None if xy is None else Pose(x=xy[0], y=xy[1])
    return MemoryRecord(event=event, text=text, pose=pose, mission_id=mission, timestamp=stamp,
                        **extra)


def put(store, embedder, *records):
    store.upsert(records, embedder.embed([r.text for r in records]))


def duplicate_of(store, embedder, record, config=None):
    return find_duplicate(store, record, embedder.embed_query(record.text),
                          config or DedupeConfig())


def test_the_same_thing_seen_again_nearby_soon_after_is_a_duplicate(store, embedder):
    first = sighting()
    put(store, embedder, first)
    found = duplicate_of(store, embedder, sighting('A red ball on the kitchen table.',
                                                   NOW + 10.0, (1.5, 1.3)))
    assert found is not None and found.id == first.id


@pytest.mark.parametrize('change', [
    {'xy': (9.0, 9.0)},                                 # another place
    {'text': 'Blue mug on the kitchen table.'},         # another thing
    {'stamp': NOW + 301.0},                             # after the time window
    {'stamp': NOW - 301.0},                             # long before the existing sighting
    {'mission': 'm2'},                                  # another mission
    {'event': 'alert'},                                 # another kind of event
    {'xy': None},                                       # a place nobody measured
], ids=['far', 'different-text', 'later', 'earlier', 'other-mission', 'other-event',
        'unknown-pose'])
def test_breaking_any_one_rule_keeps_sightings_apart(store, embedder, change):
    put(store, embedder, sighting())
    assert duplicate_of(store, embedder, sighting(**{'stamp': NOW + 10.0, **change})) is None


def test_the_window_counts_from_the_last_sighting_of_a_merged_memory(store, embedder):
    seen_until_now = sighting(stamp=NOW - 1000.0, last_seen=NOW, seen_count=5)
    put(store, embedder, seen_until_now)
    found = duplicate_of(store, embedder, sighting(stamp=NOW + 200.0))
    assert found is not None and found.id == seen_until_now.id


def test_sightings_without_a_pose_never_merge_as_if_in_one_place(store, embedder):
    nowhere = sighting(xy=None)
    put(store, embedder, nowhere)
    assert duplicate_of(store, embedder, sighting(stamp=NOW + 10.0, xy=None)) is None
    assert duplicate_of(store, embedder, sighting(stamp=NOW + 10.0)) is None
    placed = sighting(stamp=NOW + 20.0, xy=(5.0, 5.0))
    put(store, embedder, placed)
    assert duplicate_of(store, embedder, sighting(stamp=NOW + 30.0, xy=None)) is None


@pytest.mark.parametrize('first, second', [
    (['speaker:alice'], ['speaker:bob']),
    (['person:alice'], ['person:bob']),
    (['speaker:alice'], []),
    (['person:alice', 'room:kitchen'], ['room:kitchen']),
], ids=['two-speakers', 'two-people', 'speaker-and-nobody', 'person-and-not'])
def test_memories_of_different_people_or_speakers_never_merge(store, embedder, first, second):
    said = 'Did you put the red ball on the kitchen table?'
    put(store, embedder, sighting(said, event='note', tags=first))
    again = sighting(said, NOW + 5.0, (1.2, 1.0), event='note', tags=second)
    assert duplicate_of(store, embedder, again) is None


def test_memories_with_different_content_tags_never_merge(store, embedder):
    put(store, embedder, sighting(tags=['object:red_ball', 'room:kitchen']))
    other_thing = sighting(stamp=NOW + 5.0, tags=['object:red_cup', 'room:kitchen'])
    assert duplicate_of(store, embedder, other_thing) is None


def test_same_tags_another_source_or_an_untagged_sighting_still_merge(store, embedder):
    first = sighting(tags=['object:red_ball', 'room:kitchen', 'source:camera'])
    put(store, embedder, first)
    for again in (sighting(stamp=NOW + 5.0, tags=['object:red_ball', 'room:kitchen',
                                                  'source:lidar']),
                  sighting(stamp=NOW + 6.0),
                  sighting(stamp=NOW + 7.0, tags=['speaker:alice'])):
        found = duplicate_of(store, embedder, again)
        assert (found is not None and found.id == first.id) == ('speaker:alice' not in again.tags)


def test_disabled_or_strict_settings_find_no_duplicate(store, embedder):
    put(store, embedder, sighting())
    again = sighting('A red ball on the kitchen table.', NOW + 10.0)
    assert duplicate_of(store, embedder, again, DedupeConfig(enabled=False)) is None
    assert duplicate_of(store, embedder, again, DedupeConfig(min_similarity=0.999)) is None
    assert duplicate_of(store, embedder, again, DedupeConfig(time_window_s=5.0)) is None


def test_a_merge_keeps_identity_text_and_pose_and_takes_in_the_new_sighting():
    existing = sighting(stamp=NOW, tags=['object:red_ball'], confidence=0.6, seen_count=2,
                        last_seen=NOW + 30.0)
    new = sighting('A red ball on the table.', NOW + 40.0, (1.4, 1.0),
                   tags=['object:red_ball', 'room:kitchen'], confidence=0.9)
    result = merged(existing, new)
    assert (result.id, result.text, result.pose) == (existing.id, existing.text, existing.pose)
    assert result.seen_count == 3
    assert (result.timestamp, result.last_seen) == (NOW, NOW + 40.0)
    assert result.tags == ['object:red_ball', 'room:kitchen']
    assert result.confidence == 0.9
    late_arrival = merged(existing, sighting(stamp=NOW - 20.0, confidence=0.1))
    assert (late_arrival.timestamp, late_arrival.last_seen) == (NOW - 20.0, NOW + 30.0)
    assert late_arrival.confidence == 0.6


def test_merged_tags_never_exceed_the_schema_limit():
    existing = sighting(tags=[f'object:a{i}' for i in range(MAX_TAGS - 1)])
    result = merged(existing, sighting(tags=['object:new1', 'object:new2']))
    assert len(result.tags) == MAX_TAGS and result.tags[-1] == 'object:new1'
    MemoryRecord.model_validate(result.model_dump())


def test_purge_removes_memories_not_seen_for_max_age(store, embedder):
    stale = sighting('Old box in the garage.', NOW - 5000.0, (20.0, 0.0))
    first_seen_long_ago = sighting('Keys on the hook.', NOW - 5000.0, (0.0, 9.0),
                                   last_seen=NOW - 10.0, seen_count=4)
    fresh = sighting('Dog in its basket.', NOW - 100.0, (5.0, 6.0))
    put(store, embedder, stale, first_seen_long_ago, fresh)
    assert purge_expired(store, NOW, RetentionConfig()) == 0
    assert purge_expired(store, NOW, RetentionConfig(max_age_s=1000.0)) == 1
    assert {r.id for r in store.scroll(MemoryFilter(), None)} == {first_seen_long_ago.id,
                                                                  fresh.id}


def test_quota_deletes_the_oldest_of_that_mission_only(store, embedder):
    m1 = [sighting(f'Thing number {i}.', NOW + i, (float(i), 0.0)) for i in range(6)]
    m2 = [sighting(f'Other thing {i}.', NOW - 100.0 + i, (0.0, float(i)), mission='m2')
          for i in range(3)]
    put(store, embedder, *m1, *m2)
    assert enforce_quota(store, 'm1', RetentionConfig()) == 0
    assert enforce_quota(store, 'm1', RetentionConfig(per_mission_quota=4)) == 2
    kept = store.scroll(MemoryFilter(mission_ids=('m1',)), None)
    assert [r.id for r in kept] == [r.id for r in m1[2:]]
    assert store.count(MemoryFilter(mission_ids=('m2',))) == 3
    assert enforce_quota(store, 'm1', RetentionConfig(per_mission_quota=4)) == 0


@pytest.mark.parametrize('model, fields', [
    (DedupeConfig, {'radius_m': -1.0}), (DedupeConfig, {'min_similarity': 1.1}),
    (DedupeConfig, {'time_window_s': -5.0}), (DedupeConfig, {'radius': 1.0}),
    (RetentionConfig, {'max_age_s': 0.0}), (RetentionConfig, {'per_mission_quota': 0}),
    (RetentionConfig, {'keep': 3}),
])
def test_hygiene_settings_are_validated(model, fields):
    with pytest.raises(ValidationError):
        model(**fields)
