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
A nearly full disk, without ROS: the stores refuse writes with a reason and keep what they hold.

Qdrant Edge writes through memory maps and is killed by SIGBUS when the disk runs out under it
(measured on a full tmpfs), so the embedded store keeps a free-space reserve; the server store's
outbox must not leave half a line behind when a write to it fails.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from shadowhound_memory.domain.errors import StoreError
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.edge import EdgeStore

INFO = CollectionInfo('test-model', 3, 1)


def record(i):
    return MemoryRecord(event='note', text=f'note {i}', mission_id='m', timestamp=1e9 + i)


def test_below_the_reserve_upserts_are_refused_with_the_reason_and_stored_data_stays(tmp_path):
    store = EdgeStore(tmp_path / 'store', min_free_bytes=0)
    store.open_collection(INFO)
    try:
        store.upsert([record(1), record(2)], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        store.min_free_bytes = store.free_bytes() + 2**40
        with pytest.raises(StoreError, match='reserve .*store_min_free_mb.*unaffected'):
            store.upsert([record(3)], [[0.0, 0.0, 1.0]])
        assert sorted(r.text for r in store.scroll(MemoryFilter(), None)) == ['note 1', 'note 2']
        # Deleting stays possible: it is how room is made.
        assert store.delete_ids([store.scroll(MemoryFilter(), 1)[0].id]) == 1
        store.min_free_bytes = 0
        store.upsert([record(4)], [[0.0, 0.0, 1.0]])
        assert store.count() == 2
    finally:
        store.close()


def test_an_index_build_without_room_leaves_search_exact_and_the_store_open(
        tmp_path, monkeypatch):
    store = EdgeStore(tmp_path / 'store', min_free_bytes=0)
    store.open_collection(INFO)
    store.upsert([record(1), record(2)], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    store.close()
    reopened = EdgeStore(tmp_path / 'store', optimize_threshold=1, min_free_bytes=2**20)
    # Room to open, none left for the index build the two unindexed points call for.
    answers = iter([2**30, 0])
    monkeypatch.setattr(reopened, 'free_bytes', lambda: next(answers))
    reopened.open_collection(INFO)
    try:
        assert reopened.count() == 2
        assert reopened.health()['indexed_points'] == '0'
    finally:
        reopened.close()


def test_the_index_is_built_at_open_not_by_the_write_that_crosses_the_threshold(
        tmp_path, monkeypatch):
    # The build holds the GIL for seconds: inside a write it would stall the whole node. At open
    # it starts in a child process (test_index_build.py), or in-process without background_index.
    built = []
    monkeypatch.setattr(EdgeStore, 'optimize', lambda self: built.append(self.path))
    monkeypatch.setattr(EdgeStore, '_start_build', lambda self: built.append(self.path))
    store = EdgeStore(tmp_path / 'store', optimize_threshold=1, min_free_bytes=0)
    store.open_collection(INFO)
    store.upsert([record(1), record(2)], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert built == []
    store.close()
    reopened = EdgeStore(tmp_path / 'store', optimize_threshold=1, min_free_bytes=0)
    reopened.open_collection(INFO)
    reopened.close()
    assert built == [reopened.path]


def test_a_full_outbox_refuses_the_write_and_leaves_no_torn_line(tmp_path):
    # RLIMIT_FSIZE stands in for a full disk (EFBIG instead of ENOSPC), in a process of its own.
    script = textwrap.dedent(f"""
        import json, resource, sys
        from shadowhound_memory.domain.errors import StoreError
        from shadowhound_memory.store.server import Outbox
        outbox = Outbox({str(tmp_path / 'outbox')!r})
        outbox.append({{'op': 'delete_ids', 'ids': ['a']}})
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
        try:
            outbox.append({{'op': 'delete_ids', 'ids': ['b' * 500]}})
        except StoreError as exc:
            print(json.dumps({{'refused': str(exc), 'pending': outbox.pending}}))
        """)
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert 'could not keep the write' in outcome['refused'] and outcome['pending'] == 1
    lines = (tmp_path / 'outbox' / 'outbox.jsonl').read_text().splitlines()
    assert [json.loads(line)['ids'] for line in lines] == [['a']]
