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


"""The HNSW index is built in a child process while the store answers, and nothing is lost."""

import os

import numpy as np

from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.edge import BUILD_DIR, EdgeStore, OLD_DIR, SHARD_DIR

INFO = CollectionInfo('random-unit-vectors', 384, 1)
RNG = np.random.default_rng(3)


def unit_vectors(count: int) -> np.ndarray:
    vectors = RNG.normal(size=(count, INFO.dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def records(start: int, count: int) -> list[MemoryRecord]:
    return [MemoryRecord(event='note', text=f'note {start + i}', mission_id='m',
                         timestamp=1e9 + start + i) for i in range(count)]


def filled_store(path, count: int) -> tuple[list[MemoryRecord], np.ndarray]:
    store = EdgeStore(path, min_free_bytes=0, background_index=False, optimize_threshold=10**9)
    store.open_collection(INFO)
    written, vectors = records(0, count), unit_vectors(count)
    for start in range(0, count, 500):
        store.upsert(written[start:start + 500], vectors[start:start + 500].tolist())
    store.close()
    return written, vectors


def exact_top(vectors: np.ndarray, ids: list[str], query: np.ndarray, k: int) -> list[str]:
    return [ids[i] for i in np.argsort(-(vectors @ query), kind='stable')[:k]]


def test_open_answers_at_once_and_the_built_index_keeps_every_write(tmp_path):
    written, vectors = filled_store(tmp_path / 'store', 8000)
    store = EdgeStore(tmp_path / 'store', min_free_bytes=0, optimize_threshold=100)
    store.open_collection(INFO)
    try:
        # Open returned with the build started, not done: the shard is still unindexed.
        assert store.index_building
        assert int(store.health()['indexed_points']) == 0
        # Writes and deletes made while the child builds land in the journal and survive.
        more, more_vectors = records(8000, 200), unit_vectors(200)
        store.upsert(more, more_vectors.tolist())
        removed = [r.id for r in written[:50]]
        assert store.delete_ids(removed) == 50
        # Meanwhile search is exact: the same top-10 as brute force.
        ids = [r.id for r in written[50:] + more]
        live = np.vstack([vectors[50:], more_vectors])
        query = unit_vectors(1)[0]
        found = [h.record.id for h in store.search(query.tolist(), MemoryFilter(), 10)]
        assert found == exact_top(live, ids, query, 10)
        assert store.wait_for_index(timeout=600), 'the index build did not finish in 10 min'
        facts = store.health()
        assert facts['index'] == 'idle' and int(facts['points']) == len(ids)
        assert int(facts['indexed_points']) >= 8000 - 50
        assert store.count() == len(ids)
        assert store.get(removed) == []
        assert [r.id for r in store.get([m.id for m in more])] == [m.id for m in more]
        assert not os.path.exists(tmp_path / 'store' / BUILD_DIR)
        assert store.last_build_s is not None
    finally:
        store.close()
    reopened = EdgeStore(tmp_path / 'store', min_free_bytes=0, optimize_threshold=1000)
    reopened.open_collection(INFO)
    try:
        # Indexed now: only the writes of the build time are unindexed, under the threshold.
        assert not reopened.index_building
        assert reopened.count() == len(ids)
    finally:
        reopened.close()


def test_closing_during_a_build_stops_it_and_loses_nothing(tmp_path):
    written, _ = filled_store(tmp_path / 'store', 2000)
    store = EdgeStore(tmp_path / 'store', min_free_bytes=0, optimize_threshold=100)
    store.open_collection(INFO)
    store.upsert(records(2000, 10), unit_vectors(10).tolist())
    store.close()
    assert not os.path.exists(tmp_path / 'store' / BUILD_DIR)
    reopened = EdgeStore(tmp_path / 'store', min_free_bytes=0, background_index=False,
                         optimize_threshold=10**9)
    reopened.open_collection(INFO)
    try:
        assert reopened.count() == 2010
    finally:
        reopened.close()


def test_a_swap_cut_short_by_a_crash_is_finished_at_the_next_open(tmp_path):
    filled_store(tmp_path / 'store', 300)
    base = tmp_path / 'store'
    # The crash fell between the two renames: shard/ moved away, the built copy not yet in place.
    os.rename(base / SHARD_DIR, base / BUILD_DIR)
    os.makedirs(base / OLD_DIR)
    store = EdgeStore(base, min_free_bytes=0, optimize_threshold=10**9)
    store.open_collection(INFO)
    try:
        assert store.count() == 300
        assert not os.path.exists(base / OLD_DIR) and not os.path.exists(base / BUILD_DIR)
    finally:
        store.close()


def test_a_quantized_store_rescores_to_the_exact_top_ten(tmp_path):
    store = EdgeStore(tmp_path / 'store', min_free_bytes=0, quantize=True,
                      background_index=False, optimize_threshold=10**9)
    store.open_collection(INFO)
    try:
        # Clustered like text embeddings (uniform random 384-d vectors are all nearly equidistant,
        # which no approximate index ranks well, quantized or not).
        centers = unit_vectors(40)
        noisy = centers[np.arange(8000) % 40] + 0.35 * unit_vectors(8000)
        vectors = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
        written = records(0, 8000)
        for start in range(0, 8000, 500):
            store.upsert(written[start:start + 500], vectors[start:start + 500].tolist())
        store.optimize()
        assert int(store.health()['indexed_points']) >= 8000
        ids = [r.id for r in written]
        overlaps = []
        for query in vectors[:20] + 0.1 * unit_vectors(20):
            query = query / np.linalg.norm(query)
            found = [h.record.id for h in store.search(query.tolist(), MemoryFilter(), 10)]
            overlaps.append(len(set(found) & set(exact_top(vectors, ids, query, 10))))
        # int8 candidates rescored on the original vectors: the exact top-10, bar HNSW misses.
        assert sum(overlaps) / len(overlaps) >= 9.0
    finally:
        store.close()
    reopened = EdgeStore(tmp_path / 'store', min_free_bytes=0, optimize_threshold=10**9)
    reopened.open_collection(INFO)
    try:
        assert reopened.count() == 8000
    finally:
        reopened.close()
