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

The kill test runs the Edge store in a separate process that prints each id after upsert()
returns, is killed with SIGKILL mid-stream, and the store is reopened here: every printed
(acknowledged) id must be there, exactly once.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
from qdrant_client import QdrantClient
from shadowhound_memory.errors import BackendUnavailableError
from shadowhound_memory.memory.schema import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.edge import EdgeStore
from shadowhound_memory.store.server import QdrantServerStore

INFO = CollectionInfo('test-vectors', 4, 1)

WRITER = textwrap.dedent("""
    import sys
    from shadowhound_memory.memory.schema import MemoryRecord
    from shadowhound_memory.store.base import CollectionInfo
    from shadowhound_memory.store.edge import EdgeStore
    store = EdgeStore(sys.argv[1])
    store.open_collection(CollectionInfo('test-vectors', 4, 1))
    i = 0
    while True:
        record = MemoryRecord(event='note', text=f'write {i}', mission_id='m1',
                              timestamp=1000.0 + i)
        store.upsert([record], [[1.0, float(i % 7), 0.5, 0.25]])
        print(record.id, flush=True)
        i += 1
""")


def record(i: int) -> MemoryRecord:
    return MemoryRecord(event='note', text=f'record {i}', mission_id='m1', timestamp=1000.0 + i)


def test_every_acknowledged_write_survives_sigkill(tmp_path):
    path = tmp_path / 'store'
    child = subprocess.Popen([sys.executable, '-c', WRITER, str(path)],
                             stdout=subprocess.PIPE, text=True)
    acknowledged = []
    try:
        assert child.stdout is not None
        while len(acknowledged) < 300:
            line = child.stdout.readline()
            assert line, 'the writer process died before it was killed'
            acknowledged.append(line.strip())
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    store = EdgeStore(path)
    store.open_collection(INFO)
    try:
        found = store.get(acknowledged)
        assert [r.id for r in found] == acknowledged
        assert store.count() >= len(acknowledged)
        assert len({r.id for r in store.scroll(MemoryFilter(), None)}) == store.count()
    finally:
        store.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_writes_while_the_server_is_away_are_kept_and_replayed_in_order(tmp_path):
    outbox = tmp_path / 'outbox'
    away = QdrantServerStore(f'http://127.0.0.1:{closed_port()}', timeout_s=1.0,
                             outbox_path=outbox)
    away.open_collection(INFO)
    first, second, third = record(1), record(2), record(3)
    away.upsert([first, second], [[1, 0, 0, 0], [0, 1, 0, 0]])
    away.upsert([third], [[0, 0, 1, 0]])
    away.delete_ids([second.id])
    assert away.health()['outbox_pending'] == '3'
    with pytest.raises(BackendUnavailableError):
        away.search([1, 0, 0, 0], MemoryFilter(), 5)
    away.close()

    # A new store object (a restarted node) finds the outbox on disk and replays it once the
    # server answers.
    client = QdrantClient(':memory:')
    back = QdrantServerStore(client=client, outbox_path=outbox)
    back.open_collection(INFO)
    assert back.replay_outbox() == 3
    assert {r.id for r in back.scroll(MemoryFilter(), None)} == {first.id, third.id}
    assert back.health()['outbox_pending'] == '0'
    assert back.replay_outbox() == 0
    client.close()
