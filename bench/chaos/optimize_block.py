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
How long the embedded store blocks when an upsert crosses store_optimize_threshold.

The HNSW build (Edge's blocking ``optimize()``) runs inside the upsert that crosses the
threshold, under the store lock, so every write and recall waits for it. Neither the soak nor the
kill phase reaches the default threshold (20k new points), so this phase measures it directly on
an EdgeStore: it fills a store to just below the threshold with random unit vectors (384-d), then
times the crossing upsert and a search issued from another thread while it runs.
"""

import pathlib
import random
import threading
import time
from typing import Any

from shadowhound_memory.memory.schema import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
from shadowhound_memory.store.edge import EdgeStore

DIMENSION = 384


def _vectors(rng: random.Random, count: int) -> list[list[float]]:
    vectors = []
    for _ in range(count):
        vector = [rng.gauss(0.0, 1.0) for _ in range(DIMENSION)]
        norm = sum(v * v for v in vector) ** 0.5
        vectors.append([v / norm for v in vector])
    return vectors


def run_optimize_block(workdir: pathlib.Path, threshold: int = 20000) -> dict[str, Any]:
    """Fill a store to the threshold, then time the upsert that triggers the index build."""
    rng = random.Random(3)
    store = EdgeStore(workdir / 'optimize-store', optimize_threshold=threshold, min_free_bytes=0)
    store.open_collection(CollectionInfo('random-unit-vectors', DIMENSION, 1))
    try:
        written = 0
        while written < threshold:
            count = min(1000, threshold - written)
            store.upsert([MemoryRecord(event='note', text=f'note {written + i}', mission_id='m',
                                       timestamp=1e9 + written + i) for i in range(count)],
                         _vectors(rng, count))
            written += count
        waited: list[float] = []
        crossing = [MemoryRecord(event='note', text='the one that crosses', mission_id='m',
                                 timestamp=2e9)]
        query = _vectors(rng, 1)[0]

        def search_during() -> None:
            time.sleep(0.2)
            started = time.monotonic()
            store.search(query, MemoryFilter(mission_ids=('m',)), 10)
            waited.append(time.monotonic() - started)

        # A thread that only ticks: if it stalls as long as the build, the build holds the GIL,
        # and the whole node (odometry, diagnostics, every service) stops with it.
        beats = [time.monotonic()]
        gaps = [0.0]
        running = threading.Event()
        running.set()

        def heartbeat() -> None:
            while running.is_set():
                time.sleep(0.005)
                now = time.monotonic()
                gaps[0] = max(gaps[0], now - beats[0])
                beats[0] = now

        searcher = threading.Thread(target=search_during)
        ticker = threading.Thread(target=heartbeat)
        ticker.start()
        time.sleep(0.1)
        started = time.monotonic()
        searcher.start()
        store.upsert(crossing, _vectors(rng, 1))
        blocked = time.monotonic() - started
        searcher.join()
        running.clear()
        ticker.join()
        indexed = store.health().get('indexed_points', '0')
    finally:
        store.close()
    return {'threshold': threshold, 'upsert_blocked_s': round(blocked, 2),
            'search_waited_s': round(waited[0], 2) if waited else None,
            'longest_stall_of_other_threads_s': round(gaps[0], 2),
            'indexed_points_after': int(indexed),
            'vectors': 'random unit vectors (384-d), not MiniLM embeddings'}
