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
Forgetting removes the bytes, not only the search hits (no ROS).

Qdrant Edge keeps a deleted point's payload in its segment pages and WAL; the embedded store
rewrites the shard after a forget. These tests grep the store folder for the forgotten text, and
check that the rewrite keeps every other record and vector, and survives a crash mid-swap.
"""

import os
import pathlib
import random
import shutil

import pytest
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.memory.hygiene import RetentionConfig
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.edge import COMPACT_DIR, EdgeStore, OLD_DIR, SHARD_DIR

INFO = CollectionInfo('test-model', 3, 1)
SECRET = 'zanzibar-door-code-4711'


def on_disk(folder, needle):
    return [p for p in pathlib.Path(folder).rglob('*')
            if p.is_file() and needle.encode() in p.read_bytes()]


def filled(path, count=2500):
    rng = random.Random(5)
    store = EdgeStore(path, min_free_bytes=0)
    store.open_collection(INFO)
    secret = MemoryRecord(event='note', text=f'The code is {SECRET}.', mission_id='m',
                          timestamp=1e9)
    others = [MemoryRecord(event='note', text=f'note {i}', mission_id='m', timestamp=1e9 + i)
              for i in range(1, count)]
    store.upsert([secret] + others,
                 [[1.0, 0.0, 0.0]] + [[rng.random(), rng.random(), 1.0] for _ in others])
    return store, secret, others


def test_a_plain_delete_leaves_the_text_on_disk_and_the_purge_removes_it(tmp_path):
    store, secret, others = filled(tmp_path / 'store')
    try:
        vectors = store.get_vectors([o.id for o in others[:50]])
        assert store.delete_ids([secret.id]) == 1
        assert on_disk(tmp_path / 'store', SECRET), 'Edge now scrubs deletes: simplify purge'
        store.purge_deleted()
        assert on_disk(tmp_path / 'store', SECRET) == []
        assert store.count() == len(others)
        assert store.get([o.id for o in others]) == others
        assert store.get_vectors([o.id for o in others[:50]]) == vectors
        store.upsert([secret], [[1.0, 0.0, 0.0]])
        assert store.count() == len(others) + 1
    finally:
        store.close()
    reopened = EdgeStore(tmp_path / 'store', min_free_bytes=0)
    reopened.open_collection(INFO)
    try:
        assert reopened.count() == len(others) + 1
    finally:
        reopened.close()


FORGETS = {
    'ids': lambda service, gone: service.forget(ids=[gone.id]),
    'mission': lambda service, gone: service.forget(mission_id='secret-mission'),
    'time window': lambda service, gone: service.forget(time_from=gone.timestamp - 1.0,
                                                        time_to=gone.timestamp + 1.0),
}


@pytest.mark.parametrize('kind', sorted(FORGETS))
def test_each_kind_of_forget_removes_the_bytes_from_segments_and_wal(tmp_path, embedder, kind):
    # Read the raw files, not the API: a forget that only hides the point passes every query.
    service = MemoryService(EdgeStore(tmp_path / 'store', min_free_bytes=0), embedder)
    try:
        kept = [service.write_text('The plant needs water.', 'm', 1e9).record,
                service.write_text('The charger is in the office.', 'm', 1e9 + 1000.0).record]
        gone = service.write_text(f'The code is {SECRET}.', 'secret-mission', 1e9 + 500.0).record
        assert on_disk(tmp_path / 'store', SECRET), 'the secret never reached the disk'
        assert FORGETS[kind](service, gone) == 1
        assert [r.id for r in service.store.scroll(MemoryFilter(), None)] == \
            [r.id for r in kept]
    finally:
        service.close()
    assert on_disk(tmp_path / 'store', SECRET) == []


def test_retention_by_age_removes_the_bytes(tmp_path, embedder):
    service = MemoryService(EdgeStore(tmp_path / 'store', min_free_bytes=0), embedder,
                            retention=RetentionConfig(max_age_s=100.0))
    try:
        gone = service.write_text(f'The code is {SECRET}.', 'm', 1e9).record
        kept = service.write_text('The plant needs water.', 'm', 1e9 + 500.0).record
        assert service.apply_retention(gone.timestamp + 150.0) == 1
        assert [r.id for r in service.store.scroll(MemoryFilter(), None)] == [kept.id]
    finally:
        service.close()
    assert on_disk(tmp_path / 'store', SECRET) == []


def test_quota_evictions_leave_the_disk_at_the_next_retention_run(tmp_path, embedder):
    service = MemoryService(EdgeStore(tmp_path / 'store', min_free_bytes=0), embedder,
                            retention=RetentionConfig(per_mission_quota=2))
    try:
        gone = service.write_text(f'The code is {SECRET}.', 'm', 1e9).record
        service.write_text('The plant needs water.', 'm', 1e9 + 1.0)
        service.write_text('The charger is in the office.', 'm', 1e9 + 2.0)
        assert service.store.get([gone.id]) == []
        # Evicted on write, the text is hidden but still on disk: the README says so.
        assert on_disk(tmp_path / 'store', SECRET)
        # Nothing is old enough to expire, yet the run rewrites the store for the eviction.
        assert service.apply_retention(1e9 + 3.0) == 0
        assert service.store.count() == 2
    finally:
        service.close()
    assert on_disk(tmp_path / 'store', SECRET) == []


def crash_states(path):
    """Yield each folder state a crash during the swap can leave, with what open must find."""
    built = path / 'built'
    shutil.copytree(path / SHARD_DIR, built)
    # Killed while building the new shard: the old one is whole.
    shutil.copytree(built, path / COMPACT_DIR)
    yield 'while building'
    # Killed between the two renames: the new shard is complete and closed.
    os.rename(path / SHARD_DIR, path / OLD_DIR)
    shutil.copytree(built, path / COMPACT_DIR)
    yield 'between the renames'
    # Killed before the old shard was removed.
    shutil.copytree(built, path / OLD_DIR)
    yield 'before the removal'


def test_a_crash_anywhere_in_the_swap_leaves_a_store_that_opens_whole(tmp_path):
    store, secret, others = filled(tmp_path / 'store', count=50)
    store.close()
    for state in crash_states(tmp_path / 'store'):
        reopened = EdgeStore(tmp_path / 'store', min_free_bytes=0)
        reopened.open_collection(INFO)
        try:
            assert reopened.count() == 50, state
        finally:
            reopened.close()
        assert sorted(os.listdir(tmp_path / 'store')) == ['built', 'collection.json',
                                                          SHARD_DIR], state
