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
Qdrant server faults under a node in server mode (store_url), with real processes.

No Qdrant server can be installed here (no binary on PyPI, Debian or npm), so the server side is
played by what is honest about itself: a port where nothing listens, a tiny HTTP stand-in that
answers every request with 503 Service Unavailable (killed with SIGKILL halfway), and a black
hole that accepts connections and never answers (the client's 5 s timeout). Through all three
the node must stay up, acknowledge writes into its durable outbox, refuse recalls with a message
that says the server is unreachable, and keep every acknowledged write across a SIGKILL of the
node. Finally the outbox left on disk is replayed, by a new process, into qdrant-client's local
mode standing in for the returning server: every acknowledged write must arrive exactly once.
"""

import collections
import json
import pathlib
import socket
import subprocess
import sys
import time
from typing import Any

from common import NodeProcess, Probe
from durability import make_records, MISSION
from shadowhound_memory.srv import Recall, WriteMemory

HERE = pathlib.Path(__file__).resolve().parent


def free_port() -> int:
    """Return a local port nothing listens on (just closed)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port: int = sock.getsockname()[1]
        return port


def start_stand_in(kind: str, port: int, seen: pathlib.Path | None = None) -> subprocess.Popen:
    """Start a stand-in server process and wait until it accepts connections."""
    args = [sys.executable, str(HERE / 'standin.py'), kind, str(port)]
    process = subprocess.Popen(args + ([str(seen)] if seen else []))
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f'the {kind} stand-in did not start')


def outbox_ids(store: pathlib.Path) -> list[str]:
    """Return the ids of the upserts waiting in a node's outbox, in order."""
    path = store / 'outbox' / 'outbox.jsonl'
    if not path.exists():
        return []
    ids = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry['op'] == 'upsert':
            ids += [p['id'] for p in entry['points']]
    return ids


REPLAY = """
import json, sys
from qdrant_client import QdrantClient
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.server import QdrantServerStore
store = QdrantServerStore(client=QdrantClient(':memory:'), outbox_path=sys.argv[1])
store.open_collection(CollectionInfo('sentence-transformers/all-MiniLM-L6-v2', 384, 1))
ids = [r.id for r in store.scroll(MemoryFilter(), None)]
print(json.dumps({'ids': ids, 'pending': store.health()['outbox_pending']}))
store.close()
"""


def run_backend_faults(probe: Probe, workdir: pathlib.Path, writes_per_fault: int = 20,
                       log: Any = print) -> dict[str, Any]:
    """Run the three fault kinds against one node; return the figures."""
    namespace = 'chaos_backend'
    port = free_port()
    store = workdir / 'backend-store'
    node = NodeProcess(namespace, workdir / 'backend-node.log',
                       {'store_path': store, 'store_url': f'http://127.0.0.1:{port}',
                        'mission_id': MISSION})
    records = make_records(writes_per_fault * 4, seed=23)
    acked: list[str] = []
    refusals: collections.Counter[str] = collections.Counter()
    recall_messages: dict[str, str] = {}
    write_ms: dict[str, float] = {}
    stand_in: subprocess.Popen | None = None
    seen = workdir / 'stand-in-requests.jsonl'

    def write_batch(fault: str, batch: list[dict[str, Any]]) -> None:
        started = time.monotonic()
        for record in batch:
            response = probe.call(WriteMemory, f'/{namespace}/write_memory',
                                  WriteMemory.Request(record_json=json.dumps(record)),
                                  timeout=60.0)
            if response is not None and response.success:
                acked.append(record['id'])
            else:
                refusals[response.message[:100] if response else 'no answer'] += 1
        write_ms[fault] = (time.monotonic() - started) * 1000.0 / len(batch)
        answer = probe.call(Recall, f'/{namespace}/recall',
                            Recall.Request(question='where is the red ball?',
                                           mission_id=MISSION), timeout=60.0)
        recall_messages[fault] = ('no answer' if answer is None else
                                  f'success={answer.success}: {answer.message[:160]}')

    chunks = [records[i::4] for i in range(4)]
    try:
        # Recall fails while the server is away, so readiness is the write service answering.
        node.start()
        probe.wait_ready(WriteMemory, f'/{namespace}/write_memory',
                         WriteMemory.Request(record_json=json.dumps(chunks[0][0])), node)
        acked.append(chunks[0][0]['id'])
        write_batch('nothing listening', chunks[0][1:])
        log(f'  nothing listening: {len(acked)} writes acknowledged into the outbox')
        node.kill()
        after_kill = outbox_ids(store)
        node.start()
        probe.wait_ready(WriteMemory, f'/{namespace}/write_memory',
                         WriteMemory.Request(record_json=json.dumps(chunks[1][0])), node)
        acked.append(chunks[1][0]['id'])
        stand_in = start_stand_in('503', port, seen)
        # The store waits out its retry interval (5 s) before it contacts the server again.
        time.sleep(5.5)
        write_batch('503 stand-in', chunks[1][1:])
        stand_in.kill()
        stand_in.wait()
        write_batch('503 stand-in killed', chunks[2])
        stand_in = start_stand_in('blackhole', port)
        time.sleep(5.5)
        write_batch('black hole (timeouts)', chunks[3])
        stand_in.kill()
        stand_in.wait()
        stand_in = None
        alive = node.check_alive()
        node.kill()
    finally:
        if stand_in is not None:
            stand_in.kill()
        if node.alive():
            node.kill()
    queued = outbox_ids(store)
    replay = subprocess.run([sys.executable, '-c', REPLAY, str(store / 'outbox')],
                            capture_output=True, text=True, timeout=300)
    if replay.returncode != 0:
        raise RuntimeError(f'replaying the outbox failed: {replay.stderr[-2000:]}')
    replayed = json.loads(replay.stdout.strip().splitlines()[-1])
    arrived = collections.Counter(replayed['ids'])
    return {
        'server': 'none: a closed port, a 503 HTTP stand-in (SIGKILLed), a black hole; replay '
                  "into qdrant-client's local mode",
        'acked_writes': len(acked), 'refusals': dict(refusals),
        'outbox_after_node_sigkill': len(after_kill),
        'outbox_entries_at_end': len(queued),
        'outbox_duplicates': len(queued) - len(set(queued)),
        'lost_writes': sum(1 for i in acked if arrived[i] == 0),
        'duplicate_writes': sum(c - 1 for c in arrived.values() if c > 1),
        'outbox_pending_after_replay': int(replayed['pending']),
        'recall_while_away': recall_messages, 'write_ms_mean': write_ms,
        'requests_the_503_stand_in_saw': (len(seen.read_text().splitlines())
                                          if seen.exists() else 0),
        'node_alive_through_faults': alive, 'node_crashes': node.unexpected_exits,
    }
