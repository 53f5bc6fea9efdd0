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
How long Edge's HNSW build (``optimize()``) stalls the process it runs in, at the threshold.

Neither the soak nor the kill phase reaches the default store_optimize_threshold (20k unindexed
points), so this phase measures the build directly on an EdgeStore filled with random unit
vectors (384-d): how long it runs, and how long a thread that only ticks every 5 ms is stalled
meanwhile. Equal figures mean the build holds the GIL, which is why the store builds the index
when it is opened (delaying the node's readiness) and never inside a write during a mission.
"""

import pathlib
import random
import threading
import time
from typing import Any

from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo
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
    """Fill a store with ``threshold`` points, then time the index build and the stall."""
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

        ticker = threading.Thread(target=heartbeat)
        ticker.start()
        time.sleep(0.1)
        started = time.monotonic()
        store.optimize()
        built = time.monotonic() - started
        running.clear()
        ticker.join()
        indexed = store.health().get('indexed_points', '0')
    finally:
        store.close()
    return {'points': threshold, 'build_s': round(built, 2),
            'longest_stall_of_other_threads_s': round(gaps[0], 2),
            'indexed_points_after': int(indexed),
            'vectors': 'random unit vectors (384-d), not MiniLM embeddings'}
