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
Kill -9 durability: stream writes through write_memory, SIGKILL the node at random points.

Every write is a whole record (`record_json`) whose id the client chose, so a client that did not
get an answer (the node died mid-call) sends the same record again after the restart: the store
upserts by id, so a retry of a write that did land replaces it with itself. That is the
idempotency rule this phase checks: after the last kill the store folder is opened by a new
process and every acknowledged write must be there exactly once, unchanged. Each record carries
its sequence number as a tag, so a replayed write stored under another id would show up as a
duplicate. Records lie 3 m apart, so the default near-duplicate merge (1 m) leaves them apart.
"""

import collections
import json
import pathlib
import random
import time
from typing import Any
import uuid

from common import dump_store, NodeProcess, Probe
from shadowhound_memory.srv import Recall, WriteMemory

MISSION = 'chaos'
# A record the running node refuses this often is wrong, not unlucky: it is reported, not retried.
MAX_REFUSALS = 3
PHRASES = ('red ball under the table', 'charger behind the sofa', 'door to the lab is open',
           'blue mug on the counter', 'box of screws on the workbench', 'plant in the window',
           'keys on the hook', 'umbrella by the coat rack', 'laptop on the desk')


def make_records(count: int, seed: int) -> list[dict[str, Any]]:
    """Return the records to write: client-chosen ids, distinct places, a sequence tag each."""
    rng = random.Random(seed)
    start = time.time() - count
    return [{'id': str(uuid.UUID(int=rng.getrandbits(128), version=4)), 'event': 'object_seen',
             'text': f'Observation {i}: {rng.choice(PHRASES)}.',
             'pose': {'x': (i % 100) * 3.0, 'y': (i // 100) * 3.0, 'yaw': 0.0},
             'tags': [f'chaos:seq-{i}'], 'mission_id': MISSION, 'timestamp': start + i,
             'source': 'chaos'} for i in range(count)]


class Writer:
    """Keeps a window of write calls in flight; retries whatever was not acknowledged."""

    def __init__(self, probe: Probe, service: str, records: list[dict[str, Any]],
                 window: int, timeout: float) -> None:
        self.client = probe.client(WriteMemory, service)
        self.records = records
        self.requests = [WriteMemory.Request(record_json=json.dumps(r))
                         for r in records]
        self.pending = collections.deque(range(len(records)))
        self.in_flight: dict[int, tuple[Any, float]] = {}
        self.acked: set[int] = set()
        self.refused: collections.Counter[int] = collections.Counter()
        self.given_up: set[int] = set()
        self.window = window
        self.timeout = timeout
        self.sent = 0
        self.retries = 0
        self.refusals: collections.Counter[str] = collections.Counter()

    def pump(self) -> None:
        """Collect answers, give up on late ones, and fill the window."""
        now = time.monotonic()
        for index, (future, deadline) in list(self.in_flight.items()):
            if future.done():
                del self.in_flight[index]
                response = future.result()
                if response is not None and response.success:
                    self.acked.add(index)
                else:
                    self.refusals[(response.message if response else 'no response')[:80]] += 1
                    self.refused[index] += 1
                    if self.refused[index] < MAX_REFUSALS:
                        self._retry(index)
                    else:
                        self.given_up.add(index)
            elif now > deadline:
                self.client.remove_pending_request(future)
                del self.in_flight[index]
                self._retry(index)
        while len(self.in_flight) < self.window and self.pending:
            index = self.pending.popleft()
            future = self.client.call_async(self.requests[index])
            self.in_flight[index] = (future, time.monotonic() + self.timeout)
            self.sent += 1

    def _retry(self, index: int) -> None:
        self.retries += 1
        self.pending.appendleft(index)

    def abandon_in_flight(self) -> int:
        """Forget the calls the killed node will never answer; they are sent again."""
        count = len(self.in_flight)
        for index, (future, _) in list(self.in_flight.items()):
            self.client.remove_pending_request(future)
            self._retry(index)
        self.in_flight.clear()
        return count

    def done(self) -> bool:
        """Tell whether every record is acknowledged."""
        return len(self.acked) + len(self.given_up) == len(self.records)


def run_kills(probe: Probe, workdir: pathlib.Path, writes: int, kills: int, seed: int = 7,
              window: int = 4, log: Any = print) -> dict[str, Any]:
    """Write `writes` records through the node while killing it `kills` times; verify."""
    rng = random.Random(seed)
    namespace = f'chaos_kill_{seed}'
    store = workdir / 'kill-store'
    node = NodeProcess(namespace, workdir / 'kill-node.log',
                       {'store_path': store, 'mission_id': MISSION})
    records = make_records(writes, seed)
    writer = Writer(probe, f'/{namespace}/write_memory', records, window, timeout=30.0)
    kill_at = sorted(rng.sample(range(max(1, writes // 20), writes), min(kills, writes - 1)))
    ready = Recall.Request(question='ready?', mission_id=MISSION)
    restarts: list[float] = []
    abandoned = 0
    started = time.monotonic()
    node.start()
    restarts.append(probe.wait_ready(Recall, f'/{namespace}/recall', ready, node))
    while not writer.done():
        writer.pump()
        if kill_at and len(writer.acked) >= kill_at[0]:
            kill_at.pop(0)
            # Land the kill inside calls, not between them.
            time.sleep(rng.uniform(0.0, 0.03))
            node.kill()
            abandoned += writer.abandon_in_flight()
            log(f'  kill {len(restarts)}/{kills}: {len(writer.acked)} acknowledged, '
                f'{abandoned} calls cut off so far')
            node.start()
            restarts.append(probe.wait_ready(Recall, f'/{namespace}/recall', ready, node))
        elif not node.check_alive():
            raise RuntimeError(f'the node died on its own; see {node.log}')
        time.sleep(0.002)
    elapsed = time.monotonic() - started
    # The last stop is a kill as well: what a new process finds must not depend on a clean exit.
    node.kill()
    stored = dump_store(store)
    by_seq = collections.Counter(t for r in stored for t in r['tags'] if t.startswith('chaos:'))
    stored_by_id = {r['id']: r for r in stored}
    acked_ids = {records[i]['id'] for i in writer.acked}
    lost = [i for i in writer.acked if records[i]['id'] not in stored_by_id]
    damaged = [i for i in writer.acked if records[i]['id'] in stored_by_id
               and stored_by_id[records[i]['id']]['text'] != records[i]['text']]
    return {
        'writes': writes, 'acked_writes': len(writer.acked), 'calls_sent': writer.sent,
        'retried_calls': writer.retries, 'calls_cut_off_by_kills': abandoned,
        'refusals': dict(writer.refusals), 'given_up': len(writer.given_up),
        'kills': len(restarts) - 1, 'final_stop': 'SIGKILL',
        'restart_s_median': sorted(restarts)[len(restarts) // 2],
        'stored_records': len(stored), 'lost_writes': len(lost),
        'duplicate_writes': sum(c - 1 for c in by_seq.values() if c > 1)
        + len(stored) - len(stored_by_id),
        'unexpected_records': len(set(stored_by_id) - acked_ids), 'damaged_records': len(damaged),
        'acked_writes_per_s': len(writer.acked) / elapsed, 'elapsed_s': elapsed,
        'node_crashes': node.unexpected_exits,
    }
