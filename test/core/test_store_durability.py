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
Acknowledged writes survive: kill -9 of a real writer process, and a Qdrant server that is away.

The kill tests run a store in a separate process that prints each id after upsert() returns,
kill it with SIGKILL mid-stream, and reopen the store here: every printed (acknowledged) id must
be there exactly once. The server tests point a real qdrant-client at a closed local port, then
replay the outbox into a reachable QdrantClient(':memory:').
"""

from collections import Counter
import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
from qdrant_client import QdrantClient

from shadowhound_memory.domain.errors import BackendUnavailableError, StoreError
from shadowhound_memory.domain.records import MemoryRecord, Pose
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.edge import EdgeStore
from shadowhound_memory.store.server import QdrantServerStore

INFO = CollectionInfo('test-vectors', 4, 1)

# Writes records one at a time forever, printing each id once upsert() has returned.
WRITER = textwrap.dedent("""
    import sys
    from shadowhound_memory.domain.records import MemoryRecord
    from shadowhound_memory.store.base import CollectionInfo
    from shadowhound_memory.store.edge import EdgeStore
    from shadowhound_memory.store.server import QdrantServerStore
    kind, where = sys.argv[1], sys.argv[2]
    if kind == 'edge':
        store = EdgeStore(where)
    else:
        store = QdrantServerStore(sys.argv[3], timeout_s=1.0, outbox_path=where)
    store.open_collection(CollectionInfo('test-vectors', 4, 1))
    i = 0
    while True:
        record = MemoryRecord(event='note', text=f'write {i}', mission_id='m1',
                              timestamp=1000.0 + i)
        store.upsert([record], [[1.0, float(i % 7), 0.5, 0.25]])
        print(record.id, flush=True)
        i += 1
""")


def record(i: int, **changes) -> MemoryRecord:
    return MemoryRecord(event='note', text=f'record {i}', mission_id='m1',
                        timestamp=1000.0 + i, **changes)


def vector(i: int) -> list[float]:
    return [1.0, float(i), 0.5, 0.25]


def closed_port() -> int:
    """Return a local port nobody listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def kill_writer_after(args: list[str], acknowledgements: int) -> list[str]:
    """Run the writer, read some acknowledged ids, SIGKILL it mid-stream; return the ids."""
    # The child inherits this environment, so it imports the same shadowhound_memory.
    child = subprocess.Popen([sys.executable, '-c', WRITER] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    acknowledged: list[str] = []
    try:
        assert child.stdout is not None
        while len(acknowledged) < acknowledgements:
            line = child.stdout.readline()
            assert line, 'the writer process died before it was killed'
            acknowledged.append(line.strip())
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # Acknowledgements printed before the kill but not read yet are acknowledgements too (on a
    # busy machine the writer runs ahead of the reader).
    assert child.stdout is not None
    acknowledged += [line.strip() for line in child.stdout.read().splitlines()
                     if len(line.strip()) == 36]
    return acknowledged


def test_every_acknowledged_edge_write_survives_sigkill_exactly_once(tmp_path):
    path = tmp_path / 'store'
    acknowledged = kill_writer_after(['edge', str(path)], 200)
    store = EdgeStore(path)
    store.open_collection(INFO)
    try:
        assert [r.id for r in store.get(acknowledged)] == acknowledged
        stored = Counter(r.id for r in store.scroll(MemoryFilter(), None))
        assert all(stored[i] == 1 for i in acknowledged)
        # The writer may have written one more record after its last acknowledgement was read.
        assert len(acknowledged) <= store.count() <= len(acknowledged) + 1
    finally:
        store.close()


def test_every_acknowledged_outbox_write_survives_sigkill_and_replays(tmp_path):
    outbox = tmp_path / 'outbox'
    url = f'http://127.0.0.1:{closed_port()}'
    acknowledged = kill_writer_after(['server', str(outbox), url], 100)
    back = QdrantServerStore(client=QdrantClient(':memory:'), outbox_path=outbox)
    back.open_collection(INFO)
    try:
        stored = Counter(r.id for r in back.scroll(MemoryFilter(), None))
        assert all(stored[i] == 1 for i in acknowledged)
        assert back.health()['outbox_pending'] == '0'
    finally:
        back.close()


def test_writes_while_the_server_is_away_are_kept_and_replayed_in_order(tmp_path):
    outbox = tmp_path / 'outbox'
    away = QdrantServerStore(f'http://127.0.0.1:{closed_port()}', timeout_s=1.0,
                             outbox_path=outbox)
    away.open_collection(INFO)
    kept, deleted, readded = record(1), record(2), record(3)
    away.upsert([kept, deleted], [vector(1), vector(2)])
    away.delete_ids([deleted.id, readded.id])
    away.upsert([readded], [vector(3)])
    changed = kept.model_copy(update={'seen_count': 4})
    away.upsert([changed], [vector(1)])
    health = away.health()
    assert (health['state'], health['outbox_pending']) == ('unreachable', '4')
    away.close()

    # A new store object (a restarted node) finds the outbox on disk and replays it, in order,
    # as soon as the server answers.
    client = QdrantClient(':memory:')
    back = QdrantServerStore(client=client, outbox_path=outbox)
    back.open_collection(INFO)
    assert back.get([kept.id, deleted.id, readded.id]) == [changed, readded]
    assert back.health()['outbox_pending'] == '0'
    assert back.replay_outbox() == 0
    back.close()


def test_a_queued_delete_by_filter_applies_to_the_state_when_it_is_replayed(tmp_path):
    outbox = tmp_path / 'outbox'
    client = QdrantClient(':memory:')
    online = QdrantServerStore(client=client, outbox_path=outbox)
    online.open_collection(INFO)
    old = record(1, pose=Pose(x=1.0, y=1.0))
    online.upsert([old], [vector(1)])
    online.close()

    away = QdrantServerStore(f'http://127.0.0.1:{closed_port()}', outbox_path=outbox)
    away.open_collection(INFO)
    queued = record(2, pose=Pose(x=1.5, y=1.0))
    outside = record(3, pose=Pose(x=2.9, y=2.9))
    away.upsert([queued, outside], [vector(2), vector(3)])
    assert away.delete(MemoryFilter(near=(1.0, 1.0, 2.0))) == 0
    away.close()

    back = QdrantServerStore(client=client, outbox_path=outbox)
    back.open_collection(INFO)
    assert [r.id for r in back.scroll(MemoryFilter(), None)] == [outside.id]
    back.close()


def test_reads_fail_while_the_server_is_away_and_writes_do_not(tmp_path):
    away = QdrantServerStore(f'http://127.0.0.1:{closed_port()}', timeout_s=1.0,
                             outbox_path=tmp_path / 'outbox', retry_interval_s=0.0)
    away.open_collection(INFO)
    away.upsert([record(1)], [vector(1)])
    for read in (lambda: away.search(vector(1), MemoryFilter(), 3), away.count,
                 lambda: away.get([record(1).id]), lambda: away.scroll(MemoryFilter(), None)):
        with pytest.raises(BackendUnavailableError, match='unreachable'):
            read()
    assert away.replay_outbox() == 0
    assert away.health()['outbox_pending'] == '1'
    assert 'Connect' in away.health()['last_error']
    away.close()


def test_without_an_outbox_an_unreachable_server_fails_the_write(tmp_path):
    away = QdrantServerStore(f'http://127.0.0.1:{closed_port()}', timeout_s=1.0)
    with pytest.raises(BackendUnavailableError):
        away.open_collection(INFO)
    away.close()


def test_a_write_torn_by_a_crash_is_dropped_and_later_writes_are_kept(tmp_path):
    # A crash in the middle of an append cannot be timed from outside, so the torn tail it
    # leaves is written by hand: the unacknowledged half line must not swallow later writes.
    outbox = tmp_path / 'outbox'
    url = f'http://127.0.0.1:{closed_port()}'
    away = QdrantServerStore(url, outbox_path=outbox)
    away.open_collection(INFO)
    first = record(1)
    away.upsert([first], [vector(1)])
    away.close()
    with open(outbox / 'outbox.jsonl', 'a') as handle:
        handle.write('{"op":"upsert","points":[{"id":"4b1')
    again = QdrantServerStore(url, outbox_path=outbox)
    again.open_collection(INFO)
    second = record(2)
    again.upsert([second], [vector(2)])
    assert again.health()['outbox_pending'] == '2'
    again.close()
    back = QdrantServerStore(client=QdrantClient(':memory:'), outbox_path=outbox)
    back.open_collection(INFO)
    assert [r.id for r in back.scroll(MemoryFilter(), None)] == [first.id, second.id]
    back.close()


def test_a_second_store_on_the_same_outbox_is_refused(tmp_path):
    first = QdrantServerStore(client=QdrantClient(':memory:'), outbox_path=tmp_path / 'outbox')
    with pytest.raises(StoreError, match='held by another process'):
        QdrantServerStore(client=QdrantClient(':memory:'), outbox_path=tmp_path / 'outbox')
    first.close()
    QdrantServerStore(client=QdrantClient(':memory:'), outbox_path=tmp_path / 'outbox').close()


def test_an_edge_store_reopens_with_its_records_after_a_clean_close(tmp_path):
    store = EdgeStore(tmp_path / 'store')
    store.open_collection(INFO)
    records = [record(i) for i in range(5)]
    store.upsert(records, [vector(i) for i in range(5)])
    store.close()
    store.close()
    again = EdgeStore(tmp_path / 'store')
    again.open_collection(INFO)
    assert again.get([r.id for r in records]) == records
    again.close()
