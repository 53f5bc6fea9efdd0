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
One contract, two stores: Qdrant Edge on disk and the Qdrant server path (qdrant-client).

The server path runs through QdrantClient(':memory:'), the same client API a real server or
cluster answers. Every test here runs against both, so the node behaves the same on either.
"""

import math
import random

import pytest
from qdrant_client import QdrantClient
from shadowhound_memory.errors import EmbeddingMismatchError
from shadowhound_memory.memory.schema import MemoryRecord, Pose
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.edge import EdgeStore
from shadowhound_memory.store.server import QdrantServerStore

SENTENCES = [
    ('Red ball on the kitchen table.', 'kitchen', 'object:red_ball'),
    ('A blue mug next to the sink.', 'kitchen', 'object:blue_mug'),
    ('Alice is reading on the sofa.', 'living_room', 'person:alice'),
    ('The charger is plugged in behind the TV.', 'living_room', 'object:charger'),
    ('A black backpack lies on the bed.', 'bedroom', 'object:black_backpack'),
    ('Smoke detector is beeping in the hallway.', 'hallway', 'alert:smoke'),
    ('Keys hang on the hook by the front door.', 'hallway', 'object:keys'),
    ('A green plant stands in the office window.', 'office', 'object:green_plant'),
    ('The silver laptop is open on the desk.', 'office', 'object:silver_laptop'),
    ('Garage door is half open.', 'garage', 'object:door'),
    ('A yellow toy car under the chair.', 'living_room', 'object:toy'),
    ('Two boxes of screws on the workbench.', 'garage', 'object:box'),
]


def make_records(count: int = 48, seed: int = 3) -> list[MemoryRecord]:
    rng = random.Random(seed)
    records = []
    for i in range(count):
        text, room, tag = SENTENCES[i % len(SENTENCES)]
        records.append(MemoryRecord(
            event='object_seen', text=f'{text} (sighting {i})',
            pose=None if i % 11 == 0 else Pose(
                x=rng.uniform(-10, 10), y=rng.uniform(-10, 10), yaw=rng.uniform(-3, 3)),
            tags=[tag, f'room:{room}'] + (['flag:odd'] if i % 2 else []),
            mission_id='m1' if i % 3 else 'm2', timestamp=1000.0 + i))
    return records


@pytest.fixture(params=['edge', 'server'])
def store_factory(request, tmp_path):
    opened = []

    def factory(info: CollectionInfo, reuse: bool = True):
        if request.param == 'edge':
            store = EdgeStore(tmp_path / 'edge', optimize_threshold=1000)
        else:
            if not reuse or not opened:
                factory.client = QdrantClient(':memory:')
            store = QdrantServerStore(client=factory.client, outbox_path=tmp_path / 'outbox')
        store.open_collection(info)
        opened.append(store)
        return store

    factory.kind = request.param
    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def loaded(store_factory, embedder):
    store = store_factory(CollectionInfo(embedder.model_id, embedder.dimension, 1))
    records = make_records()
    vectors = embedder.embed([r.text for r in records])
    store.upsert(records, vectors)
    return store, records, vectors


def brute_force(records, vectors, query, keep, limit):
    scored = [(sum(a * b for a, b in zip(v, query)), r) for r, v in zip(records, vectors)
              if keep(r)]
    scored.sort(key=lambda pair: pair[0], reverse=True)
    return [r.id for _, r in scored[:limit]]


def test_records_round_trip_exactly(loaded):
    store, records, _ = loaded
    assert store.get([records[5].id, records[0].id]) == [records[5], records[0]]
    assert store.count() == len(records)


def test_search_ranks_the_semantically_closest_first(loaded, embedder):
    store, _, _ = loaded
    hits = store.search(embedder.embed_query('where is the red ball?'), MemoryFilter(), 3)
    assert all('Red ball' in h.record.text for h in hits)
    assert hits[0].score >= hits[1].score >= hits[2].score


@pytest.mark.parametrize('flt, keep', [
    (MemoryFilter(mission_ids=('m2',)), lambda r: r.mission_id == 'm2'),
    (MemoryFilter(tags_any=('room:garage', 'room:office')),
     lambda r: 'room:garage' in r.tags or 'room:office' in r.tags),
    (MemoryFilter(tags_all=('room:kitchen', 'flag:odd')),
     lambda r: 'room:kitchen' in r.tags and 'flag:odd' in r.tags),
    (MemoryFilter(events=('object_seen',)), lambda r: True),
    (MemoryFilter(events=('alert',)), lambda r: False),
    (MemoryFilter(time_from=1010.0, time_to=1020.0), lambda r: 1010 <= r.timestamp <= 1020),
    (MemoryFilter(near=(2.0, -1.0, 6.0)),
     lambda r: r.pose is not None and math.hypot(r.pose.x - 2.0, r.pose.y + 1.0) <= 6.0),
    (MemoryFilter(box=(-5.0, -5.0, 5.0, 0.0)),
     lambda r: r.pose is not None and -5 <= r.pose.x <= 5 and -5 <= r.pose.y <= 0),
])
def test_filtered_search_equals_brute_force(loaded, embedder, flt, keep):
    store, records, vectors = loaded
    query = embedder.embed_query('something on a table')
    expected = brute_force(records, vectors, query, keep, 7)
    assert [h.record.id for h in store.search(query, flt, 7)] == expected
    assert store.count(flt) == sum(1 for r in records if keep(r))


def test_scroll_orders_by_time_both_ways(loaded):
    store, records, _ = loaded
    oldest = store.scroll(MemoryFilter(mission_ids=('m1',)), 3)
    newest = store.scroll(MemoryFilter(mission_ids=('m1',)), 3, newest_first=True)
    m1 = sorted((r for r in records if r.mission_id == 'm1'), key=lambda r: r.timestamp)
    assert [r.id for r in oldest] == [r.id for r in m1[:3]]
    assert [r.id for r in newest] == [r.id for r in reversed(m1[-3:])]


def test_upsert_replaces_by_id_and_vectors_read_back(loaded, embedder):
    store, records, _ = loaded
    changed = records[1].model_copy(update={'seen_count': 7})
    store.upsert([changed], [embedder.embed_query(changed.text)])
    assert store.get([changed.id])[0].seen_count == 7
    assert store.count() == len(records)
    vector = store.get_vectors([changed.id])[changed.id]
    assert len(vector) == embedder.dimension


def test_delete_by_ids_and_by_filter(loaded):
    store, records, _ = loaded
    assert store.delete_ids([records[0].id, records[1].id, 'not-a-uuid']) == 2
    assert store.get([records[0].id]) == []
    garage = sum(1 for r in records[2:] if 'room:garage' in r.tags)
    assert store.delete(MemoryFilter(tags_any=('room:garage',))) == garage
    assert store.count() == len(records) - 2 - garage


def test_a_collection_refuses_another_embedding_model(store_factory, embedder):
    first = store_factory(CollectionInfo(embedder.model_id, embedder.dimension, 1))
    first.close()
    with pytest.raises(EmbeddingMismatchError, match='re-embed'):
        store_factory(CollectionInfo('another-model', 768, 1))
