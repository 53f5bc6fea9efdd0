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
cluster answers. Every contract test runs against both, with real MiniLM vectors, and checks
filtered search against a brute-force ranking of the same vectors.
"""

import math
import random
import threading

import pytest
from qdrant_client import models, QdrantClient

from shadowhound_memory.domain.errors import (EmbeddingMismatchError, InvalidRequestError,
                                              StoreError)
from shadowhound_memory.domain.records import MemoryRecord, Pose
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter, MemoryStore
from shadowhound_memory.store.edge import EdgeStore
from shadowhound_memory.store.server import QdrantServerStore

# (event, text, tags); rooms and missions are assigned below.
OBSERVATIONS = [
    ('object_seen', 'A red ball lies on the kitchen floor.', ['object:red_ball']),
    ('object_seen', 'A blue mug stands next to the sink.', ['object:mug']),
    ('person_seen', 'Alice is reading a book on the sofa.', ['person:alice']),
    ('object_seen', 'The phone charger is plugged in behind the TV.', ['object:charger']),
    ('object_seen', 'A black backpack was left on the bed.', ['object:backpack']),
    ('alert', 'The smoke detector is beeping in the hallway.', ['alert:smoke']),
    ('object_seen', 'Car keys hang on the hook by the front door.', ['object:keys']),
    ('object_seen', 'A green plant stands in the office window.', ['object:plant']),
    ('object_seen', 'The silver laptop is open on the desk.', ['object:laptop']),
    ('place_visited', 'Visited the garage; the door is half open.', ['place:garage']),
    ('object_seen', 'A yellow toy car is under the dining chair.', ['object:toy_car']),
    ('object_seen', 'Two boxes of screws sit on the workbench.', ['object:box']),
    ('person_seen', 'Bob is cooking pasta at the stove.', ['person:bob']),
    ('note', 'The wifi signal is weak in the basement.', ['topic:wifi']),
    ('alert', 'Water is leaking under the bathroom sink.', ['alert:leak']),
    ('task_update', 'Finished mapping the second floor.', ['task:mapping']),
    ('object_seen', 'A pair of running shoes is by the stairs.', ['object:shoes']),
    ('object_seen', 'The trash bin in the kitchen is full.', ['object:trash_bin']),
    ('person_seen', 'A delivery person waited at the front door.', ['person:courier']),
    ('object_seen', 'A stack of unopened letters is on the table.', ['object:letters']),
    ('note', 'The hallway light flickers at night.', ['topic:lighting']),
    ('object_seen', 'An umbrella is drying in the entrance.', ['object:umbrella']),
    ('place_visited', 'Docked at the charging station to recharge.', ['place:dock']),
    ('object_seen', 'A cat is sleeping on the windowsill.', ['animal:cat']),
    ('alert', 'The back door was found unlocked.', ['alert:security']),
]

ROOMS = ['kitchen', 'living_room', 'bedroom', 'hallway', 'office', 'garage']


def make_records(seed: int = 7) -> list[MemoryRecord]:
    """Return 50 varied records: two sightings of each observation, some without a pose."""
    rng = random.Random(seed)
    records = []
    for i in range(2 * len(OBSERVATIONS)):
        event, text, tags = OBSERVATIONS[i % len(OBSERVATIONS)]
        sighting = 'first' if i < len(OBSERVATIONS) else 'second'
        pose = None if i % 9 == 0 else Pose(x=rng.uniform(-10, 10), y=rng.uniform(-10, 10),
                                            yaw=rng.uniform(-3, 3))
        records.append(MemoryRecord(
            event=event, text=f'{text} ({sighting} sighting)', pose=pose,
            tags=tags + [f'room:{ROOMS[i % len(ROOMS)]}'] + (['flag:odd'] if i % 2 else []),
            mission_id='m1' if i % 3 else 'm2', timestamp=1000.0 + 10 * i,
            last_seen=1000.0 + 10 * i + (i % 4) * 3, source='test', confidence=0.5 + i / 100))
    return records


@pytest.fixture(params=['edge', 'server'])
def open_store(request, tmp_path):
    """Open a store of the parametrized kind; calling it again reopens the same data."""
    opened: list[MemoryStore] = []
    client = QdrantClient(':memory:')

    def factory(info: CollectionInfo) -> MemoryStore:
        store: MemoryStore
        if request.param == 'edge':
            store = EdgeStore(tmp_path / 'edge', optimize_threshold=1000)
        else:
            store = QdrantServerStore(client=client, outbox_path=tmp_path / f'outbox{len(opened)}')
        opened.append(store)
        store.open_collection(info)
        return store

    yield factory
    for store in opened:
        store.close()
    client.close()


@pytest.fixture(scope='module')
def corpus(embedder):
    records = make_records()
    return records, embedder.embed([r.text for r in records])


@pytest.fixture
def info(embedder):
    return CollectionInfo(embedder.model_id, embedder.dimension, 1)


@pytest.fixture
def loaded(open_store, info, corpus):
    store = open_store(info)
    records, vectors = corpus
    store.upsert(records, vectors)
    return store, records, vectors


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def brute_force(records, vectors, query, keep, limit):
    scored = [(dot(v, query), r.id) for r, v in zip(records, vectors) if keep(r)]
    scored.sort(key=lambda pair: pair[0], reverse=True)
    return [record_id for _, record_id in scored[:limit]]


def same_records(got, expected):
    """Tell whether two record lists are equal, yaw within 1e-12 rad."""
    def key(record):
        data = record.model_dump()
        if data['pose'] is not None:
            data['pose']['yaw'] = round(data['pose']['yaw'], 12)
        return data
    return [key(r) for r in got] == [key(r) for r in expected]


def inside(r, x, y, radius):
    return r.pose is not None and math.hypot(r.pose.x - x, r.pose.y - y) <= radius


FILTERS = {
    'everything': (MemoryFilter(), lambda r: True),
    'one mission': (MemoryFilter(mission_ids=('m2',)), lambda r: r.mission_id == 'm2'),
    'two missions': (MemoryFilter(mission_ids=('m1', 'm2')), lambda r: True),
    'no mission': (MemoryFilter(mission_ids=()), lambda r: False),
    'tags any': (MemoryFilter(tags_any=('room:garage', 'room:office')),
                 lambda r: 'room:garage' in r.tags or 'room:office' in r.tags),
    'tags all': (MemoryFilter(tags_all=('room:kitchen', 'flag:odd')),
                 lambda r: 'room:kitchen' in r.tags and 'flag:odd' in r.tags),
    'events': (MemoryFilter(events=('alert', 'person_seen')),
               lambda r: r.event in ('alert', 'person_seen')),
    'time window': (MemoryFilter(time_from=1100.0, time_to=1250.0),
                    lambda r: 1100 <= r.timestamp <= 1250),
    'open time window': (MemoryFilter(time_from=1300.0), lambda r: r.timestamp >= 1300),
    'last seen window': (MemoryFilter(last_seen_to=1105.0), lambda r: r.last_seen <= 1105),
    'near circle': (MemoryFilter(near=(2.0, -1.0, 6.0)), lambda r: inside(r, 2.0, -1.0, 6.0)),
    'small circle': (MemoryFilter(near=(-3.0, 4.0, 3.5)), lambda r: inside(r, -3.0, 4.0, 3.5)),
    'box': (MemoryFilter(box=(-5.0, -5.0, 5.0, 0.0)),
            lambda r: r.pose is not None and -5 <= r.pose.x <= 5 and -5 <= r.pose.y <= 0),
    'combined': (MemoryFilter(mission_ids=('m1',), tags_any=('flag:odd',), time_to=1400.0,
                              near=(0.0, 0.0, 9.0)),
                 lambda r: r.mission_id == 'm1' and 'flag:odd' in r.tags
                 and r.timestamp <= 1400 and inside(r, 0.0, 0.0, 9.0)),
}


# Writing and reading back ------------------------------------------------------------------------

def test_records_round_trip_with_and_without_pose(loaded):
    store, records, _ = loaded
    without_pose = records[0]
    assert without_pose.pose is None
    assert same_records(store.get([records[5].id, without_pose.id, records[17].id]),
                        [records[5], without_pose, records[17]])
    assert same_records(store.get([r.id for r in records]), records)


def test_every_record_reads_back_exactly_as_written(loaded):
    store, records, _ = loaded
    assert store.get([r.id for r in records]) == records


def test_get_keeps_the_order_given_and_skips_unknown_or_malformed_ids(loaded):
    store, records, _ = loaded
    unknown = MemoryRecord(event='note', text='never stored', mission_id='m1',
                           timestamp=5.0).id
    got = store.get([records[3].id, unknown, 'not-a-uuid', records[1].id])
    assert [r.id for r in got] == [records[3].id, records[1].id]
    assert store.get([]) == []


def test_stored_vectors_read_back_as_unit_vectors_of_the_record(loaded):
    store, records, vectors = loaded
    stored = store.get_vectors([records[2].id, records[9].id])
    assert set(stored) == {records[2].id, records[9].id}
    assert math.isclose(dot(stored[records[2].id], vectors[2]), 1.0, abs_tol=1e-5)
    assert math.isclose(dot(stored[records[9].id], stored[records[9].id]), 1.0, abs_tol=1e-5)


def test_upsert_replaces_a_record_with_the_same_id(loaded, embedder):
    store, records, _ = loaded
    changed = records[1].model_copy(update={'text': 'A green mug stands next to the sink.',
                                            'seen_count': 7, 'last_seen': 5000.0})
    store.upsert([changed], [embedder.embed_query(changed.text)])
    assert same_records(store.get([changed.id]), [changed])
    assert store.count() == len(records)
    hits = store.search(embedder.embed_query('green mug'), MemoryFilter(), 1)
    assert same_records([hits[0].record], [changed])


def test_a_vector_of_the_wrong_size_or_count_is_refused_and_nothing_is_written(open_store, info):
    store = open_store(info)
    record = MemoryRecord(event='note', text='odd vector', mission_id='m1', timestamp=1.0)
    with pytest.raises(InvalidRequestError, match='384-d'):
        store.upsert([record], [[1.0, 0.0, 0.0]])
    with pytest.raises(InvalidRequestError, match='1 records but 2 vectors'):
        store.upsert([record], [[1.0] * 384, [1.0] * 384])
    assert store.count() == 0


# Search and filters ----------------------------------------------------------------------------

def test_search_ranks_the_semantically_closest_first(loaded, embedder):
    store, _, _ = loaded
    hits = store.search(embedder.embed_query('where did I see the red ball?'), MemoryFilter(), 4)
    assert [h.record.text.split(' (')[0] for h in hits[:2]] == \
        ['A red ball lies on the kitchen floor.'] * 2
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert 0.5 < hits[0].score <= 1.0 + 1e-6


def test_search_scores_are_the_cosine_similarity(loaded, embedder):
    store, records, vectors = loaded
    query = embedder.embed_query('a leaking pipe')
    hit = store.search(query, MemoryFilter(), 1)[0]
    index = [r.id for r in records].index(hit.record.id)
    assert math.isclose(hit.score, dot(query, vectors[index]), abs_tol=1e-4)


@pytest.mark.parametrize('name', sorted(FILTERS))
def test_filtered_search_and_count_equal_brute_force(loaded, embedder, name):
    store, records, vectors = loaded
    flt, keep = FILTERS[name]
    query = embedder.embed_query('something was left on a table')
    for limit in (1, 7, 100):
        expected = brute_force(records, vectors, query, keep, limit)
        assert [h.record.id for h in store.search(query, flt, limit)] == expected, limit
    assert store.count(flt) == sum(1 for r in records if keep(r))


def test_a_circle_returns_its_top_records_even_when_the_box_corners_outrank_them(
        open_store, info, embedder):
    # Corner points inside the circle's bounding box but outside the circle are the best
    # matches, so the store must ask for more candidates than the limit to fill the circle.
    store = open_store(info)
    corner = [MemoryRecord(event='object_seen', text=f'A red ball in corner {i}.',
                           pose=Pose(x=sx * 4.6, y=sy * 4.6), mission_id='m1',
                           timestamp=100.0 + i)
              for i, (sx, sy) in enumerate([(1, 1), (1, -1), (-1, 1), (-1, -1)] * 6)]
    centre = [MemoryRecord(event='object_seen', text=text, pose=Pose(x=0.5 * i, y=0.0),
                           mission_id='m1', timestamp=200.0 + i)
              for i, text in enumerate(['A ball near the sofa.', 'A blue mug on a shelf.',
                                        'Keys on the table.', 'A cat asleep.'])]
    records = corner + centre
    vectors = embedder.embed([r.text for r in records])
    store.upsert(records, vectors)
    query = embedder.embed_query('red ball')
    flt = MemoryFilter(near=(0.0, 0.0, 5.0))
    got = [h.record.id for h in store.search(query, flt, 3)]
    assert got == brute_force(records, vectors, query, lambda r: inside(r, 0, 0, 5.0), 3)
    assert store.count(flt) == len(centre)


def test_records_without_a_pose_never_match_a_place(loaded, embedder):
    store, records, _ = loaded
    unposed = {r.id for r in records if r.pose is None}
    query = embedder.embed_query('anything')
    everywhere = MemoryFilter(box=(-1e6, -1e6, 1e6, 1e6))
    assert unposed.isdisjoint(h.record.id for h in store.search(query, everywhere, 100))
    assert store.count(MemoryFilter(near=(0.0, 0.0, 1e6))) == len(records) - len(unposed)


def test_search_with_limit_zero_returns_nothing(loaded, embedder):
    store, _, _ = loaded
    assert store.search(embedder.embed_query('ball'), MemoryFilter(), 0) == []


# Scroll and count ------------------------------------------------------------------------------

def test_scroll_orders_by_timestamp_both_ways_with_and_without_limit(loaded):
    store, records, _ = loaded
    m1 = sorted((r for r in records if r.mission_id == 'm1'), key=lambda r: r.timestamp)
    flt = MemoryFilter(mission_ids=('m1',))
    assert [r.id for r in store.scroll(flt, 3)] == [r.id for r in m1[:3]]
    assert [r.id for r in store.scroll(flt, 3, newest_first=True)] == \
        [r.id for r in reversed(m1[-3:])]
    assert [r.id for r in store.scroll(flt, None)] == [r.id for r in m1]
    assert store.scroll(flt, 0) == []


def test_scroll_in_a_circle_keeps_time_order_and_the_circle(loaded):
    store, records, _ = loaded
    flt, keep = FILTERS['near circle']
    expected = [r.id for r in sorted(records, key=lambda r: r.timestamp) if keep(r)]
    assert [r.id for r in store.scroll(flt, None)] == expected
    assert [r.id for r in store.scroll(flt, 2, newest_first=True)] == expected[::-1][:2]


def test_count_without_filter_counts_everything(loaded):
    store, records, _ = loaded
    assert store.count() == store.count(MemoryFilter()) == len(records)


# Deleting --------------------------------------------------------------------------------------

def test_delete_ids_reports_how_many_existed(loaded):
    store, records, _ = loaded
    assert store.delete_ids([records[0].id, records[1].id, records[0].id, 'not-a-uuid']) == 2
    assert store.get([records[0].id, records[1].id]) == []
    assert store.delete_ids([records[0].id]) == 0
    assert store.count() == len(records) - 2


@pytest.mark.parametrize('name', ['one mission', 'tags any', 'time window', 'near circle',
                                  'box', 'last seen window'])
def test_delete_by_filter_removes_exactly_the_matching_records(loaded, name):
    store, records, _ = loaded
    flt, keep = FILTERS[name]
    doomed = {r.id for r in records if keep(r)}
    assert store.delete(flt) == len(doomed)
    remaining = {r.id for r in store.scroll(MemoryFilter(), None)}
    assert remaining == {r.id for r in records} - doomed


def test_delete_with_an_empty_filter_removes_everything(loaded):
    store, records, _ = loaded
    assert store.delete(MemoryFilter()) == len(records)
    assert store.count() == 0


# Collections -----------------------------------------------------------------------------------

def test_data_survives_close_and_reopen(open_store, info, corpus):
    records, vectors = corpus
    first = open_store(info)
    first.upsert(records[:5], vectors[:5])
    first.close()
    second = open_store(info)
    assert same_records(second.get([r.id for r in records[:5]]), records[:5])


def test_a_collection_of_another_dimension_is_refused(open_store, info):
    open_store(info).close()
    with pytest.raises(EmbeddingMismatchError, match='re-embed'):
        open_store(CollectionInfo(info.embedding_model, 768, 1))


def test_a_collection_of_another_model_of_the_same_size_is_refused(open_store, info):
    open_store(info).close()
    with pytest.raises(EmbeddingMismatchError, match='another store path or collection'):
        open_store(CollectionInfo('local:my-finetuned-minilm', info.dimension, 1))


def test_a_collection_of_another_schema_version_is_refused(open_store, info):
    open_store(info).close()
    with pytest.raises(StoreError, match='schema version 1'):
        open_store(CollectionInfo(info.embedding_model, info.dimension, 2))


def test_using_a_store_before_opening_it_says_so(tmp_path):
    stores = [EdgeStore(tmp_path / 'never'), QdrantServerStore(client=QdrantClient(':memory:'))]
    for store in stores:
        with pytest.raises(StoreError, match='open_collection'):
            store.count()


def test_health_names_the_backend_and_reports_ok(loaded):
    store, records, _ = loaded
    health = store.health()
    assert health['state'] == 'ok'
    assert health['backend'] in ('qdrant-edge', 'qdrant-server')
    assert all(isinstance(v, str) for v in health.values())
    if health['backend'] == 'qdrant-edge':
        assert health['points'] == str(len(records))
    else:
        assert health['outbox_pending'] == '0'
    store.close()
    assert store.health()['state'] == 'closed'
    store.close()


def test_concurrent_writers_and_readers_lose_nothing(open_store, info, corpus):
    store = open_store(info)
    records, vectors = corpus
    errors: list[BaseException] = []

    def write(part: int) -> None:
        try:
            for i in range(part, len(records), 4):
                store.upsert([records[i]], [vectors[i]])
                store.search(vectors[i], MemoryFilter(mission_ids=('m1',)), 3)
        except BaseException as exc:  # noqa: B902 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(part,)) for part in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert store.count() == len(records)
    assert same_records(store.get([r.id for r in records]), records)


# Backend specifics -----------------------------------------------------------------------------

def test_edge_refuses_a_second_opener_of_the_same_path(tmp_path, info):
    first = EdgeStore(tmp_path / 'store')
    first.open_collection(info)
    try:
        with pytest.raises(StoreError, match='held by another process'):
            EdgeStore(tmp_path / 'store').open_collection(info)
    finally:
        first.close()


def test_edge_keeps_the_collection_facts_beside_the_shard(tmp_path, info):
    store = EdgeStore(tmp_path / 'store')
    store.open_collection(info)
    store.close()
    assert sorted(p.name for p in (tmp_path / 'store').iterdir()) == ['collection.json', 'shard']


def test_edge_search_is_unchanged_by_optimize(tmp_path, info, corpus, embedder):
    records, vectors = corpus
    store = EdgeStore(tmp_path / 'store', optimize_threshold=10)
    store.open_collection(info)
    store.upsert(records, vectors)
    query = embedder.embed_query('an open door')
    before = store.search(query, MemoryFilter(), 5)
    store.optimize()
    assert [h.record.id for h in store.search(query, MemoryFilter(), 5)] == \
        [h.record.id for h in before]
    store.close()


def test_server_keeps_the_model_in_the_collection_metadata(tmp_path, info):
    client = QdrantClient(':memory:')
    QdrantServerStore(client=client, collection='robots').open_collection(info)
    config = client.get_collection('robots').config
    assert config.metadata == {'embedding_model': info.embedding_model,
                               'dimension': info.dimension, 'schema_version': 1}
    assert isinstance(config.params.vectors, models.VectorParams)
    assert config.params.vectors.size == info.dimension


def test_server_refuses_a_collection_it_did_not_make(info):
    client = QdrantClient(':memory:')
    client.create_collection('foreign', vectors_config=models.VectorParams(
        size=info.dimension, distance=models.Distance.COSINE))
    with pytest.raises(EmbeddingMismatchError, match='unrecorded model'):
        QdrantServerStore(client=client, collection='foreign').open_collection(info)


# Hybrid search (MiniLM fused with BM25) and the migration of dense-only stores -----------------

def test_hybrid_search_finds_a_rare_word_the_dense_vector_does_not(loaded, embedder):
    store, records, _ = loaded
    off_topic = embedder.embed_query('Someone is cooking dinner in the kitchen.')
    umbrellas = {r.id for r in records if 'object:umbrella' in r.tags}
    dense = [h.record.id for h in store.search(off_topic, MemoryFilter(), 5)]
    hybrid = [h.record.id for h in store.search(off_topic, MemoryFilter(), 5, text='umbrella')]
    assert not umbrellas & set(dense)
    assert umbrellas <= set(hybrid)


def test_hybrid_search_matches_tag_values_as_words(loaded, embedder):
    store, records, _ = loaded
    query = embedder.embed_query('Who was at the front door?')
    hits = store.search(query, MemoryFilter(), 4, text='courier at the front door')
    couriers = {r.id for r in records if 'person:courier' in r.tags}
    assert {h.record.id for h in hits[:2]} == couriers


@pytest.mark.parametrize('name', sorted(FILTERS))
def test_hybrid_search_applies_every_filter(loaded, embedder, name):
    store, records, _ = loaded
    flt, keep = FILTERS[name]
    query = embedder.embed_query('a red ball on the floor')
    hits = store.search(query, flt, 8, text='red ball floor')
    matching = [r for r in records if keep(r)]
    assert all(keep(h.record) for h in hits)
    assert len(hits) == min(8, len(matching))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)


def test_hybrid_search_with_only_stop_words_is_the_dense_search(loaded, embedder):
    store, _, _ = loaded
    query = embedder.embed_query('Where is it?')
    dense = store.search(query, MemoryFilter(), 5)
    hybrid = store.search(query, MemoryFilter(), 5, text='where is it?')
    assert [(h.record.id, round(h.score, 6)) for h in hybrid] == \
        [(h.record.id, round(h.score, 6)) for h in dense]


def test_hybrid_search_survives_forgetting_and_purging(loaded, embedder):
    store, records, _ = loaded
    store.delete(MemoryFilter(mission_ids=('m2',)))
    store.purge_deleted()
    keys = {r.id for r in records if 'object:keys' in r.tags and r.mission_id == 'm1'}
    query = embedder.embed_query('Someone is cooking dinner in the kitchen.')
    hits = store.search(query, MemoryFilter(), 5, text='keys hook')
    assert keys and keys <= {h.record.id for h in hits}
    assert all(h.record.mission_id == 'm1' for h in hits)


def check_migrated(store, records, vectors, embedder):
    """All ids, payloads and vectors of the old store are kept, and hybrid search works."""
    assert store.count() == len(records)
    assert store.get([r.id for r in records]) == records
    kept = store.get_vectors([r.id for r in records])
    for record, vector in zip(records, vectors):
        assert dot(kept[record.id], vector) == pytest.approx(1.0, abs=1e-5)
    off_topic = embedder.embed_query('Someone is cooking dinner in the kitchen.')
    umbrellas = {r.id for r in records if 'object:umbrella' in r.tags}
    assert umbrellas <= {h.record.id for h in store.search(off_topic, MemoryFilter(), 5,
                                                           text='umbrella')}


def test_edge_store_written_before_hybrid_search_is_migrated(tmp_path, info, corpus, embedder):
    from legacy_stores import write_dense_edge_store
    records, vectors = corpus
    write_dense_edge_store(tmp_path / 'old', info, records, vectors)
    store = EdgeStore(tmp_path / 'old')
    store.open_collection(info)
    try:
        check_migrated(store, records, vectors, embedder)
        extra = MemoryRecord(event='note', text='A defibrillator hangs in the lobby.',
                             mission_id='m1', timestamp=5000.0)
        store.upsert([extra], embedder.embed([extra.text]))
    finally:
        store.close()
    # Reopened, it is already migrated: nothing to redo and nothing lost.
    store = EdgeStore(tmp_path / 'old')
    store.open_collection(info)
    try:
        check_migrated(store, records + [extra], vectors + embedder.embed([extra.text]),
                       embedder)
    finally:
        store.close()


def test_edge_migration_cut_short_is_finished_at_the_next_open(tmp_path, info, corpus, embedder):
    import qdrant_edge as edge
    from legacy_stores import write_dense_edge_store
    from shadowhound_memory.store.sparse import BM25_VECTOR, document_vector
    records, vectors = corpus
    write_dense_edge_store(tmp_path / 'old', info, records, vectors)
    # As if killed after adding the sparse vector and filling only one point.
    shard = edge.EdgeShard.load(str(tmp_path / 'old' / 'shard'))
    shard.update(edge.UpdateOperation.create_sparse_vector(BM25_VECTOR, edge.Modifier.Idf))
    shard.update(edge.UpdateOperation.update_vectors([edge.PointVectors(
        records[0].id, {BM25_VECTOR: edge.SparseVector(*document_vector(records[0]))})]))
    shard.flush()
    shard.close()
    store = EdgeStore(tmp_path / 'old')
    store.open_collection(info)
    try:
        check_migrated(store, records, vectors, embedder)
    finally:
        store.close()


def test_server_collection_made_before_hybrid_search_is_migrated(
        tmp_path, info, corpus, embedder):
    from legacy_stores import write_dense_server_collection
    records, vectors = corpus
    client = QdrantClient(':memory:')
    write_dense_server_collection(client, 'shadowhound_memories', info, records, vectors)
    store = QdrantServerStore(client=client, outbox_path=tmp_path / 'outbox')
    store.open_collection(info)
    try:
        check_migrated(store, records, vectors, embedder)
        assert 'bm25' in client.get_collection('shadowhound_memories').config.params \
            .sparse_vectors
    finally:
        store.close()
        client.close()


def test_an_unknown_fusion_is_refused(tmp_path):
    with pytest.raises(StoreError, match='fusion'):
        EdgeStore(tmp_path / 'x', fusion='max')
    with pytest.raises(InvalidRequestError, match='fusion'):
        QdrantServerStore(client=QdrantClient(':memory:'), fusion='max')
