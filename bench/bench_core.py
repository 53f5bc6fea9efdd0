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
Benchmark of the memory core: ingest and recall at 1k, 10k and 100k memories, ours vs Chroma.

The peer is what ShadowHound uses today (DIMOS LocalSemanticMemory): a Chroma persistent
collection with all-MiniLM-L6-v2. Both stores get the same records and the same vectors, and a
recall is timed the same way for both: embed the question with the same model, then search top-k.
Each (store, size) runs in a child process of its own, one after another, so RSS is the store's
and the two never compete for the 2 cores. Writes bench/results/core.json and prints a table.

    python bench/bench_core.py [--sizes 1000,10000,100000] [--queries 200]
"""

import argparse
import hashlib
import json
import os
import pathlib
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / '.cache' / 'bench'
K = 10
COLOURS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'orange', 'purple', 'silver']
OBJECTS = ['ball', 'mug', 'backpack', 'laptop', 'plant', 'charger', 'book', 'box', 'bottle',
           'umbrella', 'wallet', 'toy car', 'lamp', 'shoe', 'keys', 'remote', 'package']
PLACES = ['on the table', 'under the bed', 'next to the sink', 'behind the sofa', 'on the desk',
          'by the door', 'on the shelf', 'in the corner', 'near the window', 'on the floor']
ROOMS = ['kitchen', 'living room', 'bedroom', 'office', 'garage', 'hallway', 'bathroom', 'lab']
VERBS = ['Saw', 'Spotted', 'Found', 'Noticed', 'Detected', 'There is']


def corpus(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Return n varied observation records with missions, times and places."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        room = rng.choice(ROOMS)
        text = (f'{rng.choice(VERBS)} a {rng.choice(COLOURS)} {rng.choice(OBJECTS)} '
                f'{rng.choice(PLACES)} in the {room} (waypoint {i % 997}).')
        items.append({'text': text, 'mission_id': f'm{i % 10}', 'timestamp': 1.7e9 + i,
                      'x': rng.uniform(-50, 50), 'y': rng.uniform(-50, 50),
                      'room': room.replace(' ', '_')})
    return items


def questions(count: int, seed: int = 11) -> list[str]:
    """Return recall questions of the kind an agent asks."""
    rng = random.Random(seed)
    forms = ['Where did we see the {c} {o}?', 'Is there a {c} {o} in the {r}?',
             'What was {p}?', 'Find the {o}.']
    return [rng.choice(forms).format(c=rng.choice(COLOURS), o=rng.choice(OBJECTS),
                                     r=rng.choice(ROOMS), p=rng.choice(PLACES))
            for _ in range(count)]


def vectors_for(n: int) -> pathlib.Path:
    """Embed the corpus once and cache the vectors (the same file feeds both stores)."""
    import numpy as np
    items = corpus(n)
    digest = hashlib.sha256(json.dumps([i['text'] for i in items]).encode()).hexdigest()[:12]
    path = CACHE / f'vectors-{n}-{digest}.npy'
    if not path.exists():
        from shadowhound_memory.embeddings.local import SentenceTransformerProvider
        CACHE.mkdir(parents=True, exist_ok=True)
        embedder = SentenceTransformerProvider(batch_size=64, threads=2)
        started = time.perf_counter()
        vectors = np.asarray(embedder.embed([i['text'] for i in items]), dtype=np.float32)
        print(f'  embedded {n} texts in {time.perf_counter() - started:.0f} s', flush=True)
        np.save(path, vectors)
    return path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


# Child side ---------------------------------------------------------------------------------

def prepare_ours(items: list[dict[str, Any]]) -> list[Any]:
    from shadowhound_memory.domain.records import MemoryRecord, Pose
    return [MemoryRecord(event='object_seen', text=i['text'], pose=Pose(x=i['x'], y=i['y']),
                         tags=[f"room:{i['room']}"], mission_id=i['mission_id'],
                         timestamp=i['timestamp']) for i in items]


def prepare_chroma(items: list[dict[str, Any]]) -> list[Any]:
    return [{k: i[k] for k in ('mission_id', 'timestamp', 'x', 'y', 'room')} for i in items]


def run_ours(items: list[dict[str, Any]], records: list[Any], vectors: Any, folder: str,
             queries: list[str], embedder: Any) -> dict[str, float]:
    from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
    from shadowhound_memory.store.edge import EdgeStore
    store = EdgeStore(folder, optimize_threshold=10**9)
    store.open_collection(CollectionInfo(embedder.model_id, embedder.dimension, 1))
    started = time.perf_counter()
    for start in range(0, len(records), 256):
        store.upsert(records[start:start + 256], vectors[start:start + 256].tolist())
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    store.optimize()
    index_s = time.perf_counter() - started
    since = items[len(items) // 2]['timestamp']

    def search(vector: list[float], filtered: bool) -> None:
        flt = MemoryFilter(mission_ids=('m3',), time_from=since) if filtered else MemoryFilter()
        store.search(vector, flt, K)
    result = measure(queries, embedder, search)
    result.update(ingest_per_s=len(records) / ingest_s, index_build_s=index_s, rss_mb=rss_mb())
    store.close()
    return result


def run_chroma(items: list[dict[str, Any]], metadatas: list[Any], vectors: Any, folder: str,
               queries: list[str], embedder: Any) -> dict[str, float]:
    import chromadb
    client = chromadb.PersistentClient(path=folder)
    collection = client.get_or_create_collection('memories', metadata={'hnsw:space': 'cosine'})
    started = time.perf_counter()
    for start in range(0, len(items), 256):
        chunk = items[start:start + 256]
        collection.add(ids=[str(start + j) for j in range(len(chunk))],
                       embeddings=vectors[start:start + 256].tolist(),
                       documents=[i['text'] for i in chunk],
                       metadatas=metadatas[start:start + 256])
    ingest_s = time.perf_counter() - started
    since = items[len(items) // 2]['timestamp']

    def search(vector: list[float], filtered: bool) -> None:
        where = ({'$and': [{'mission_id': 'm3'}, {'timestamp': {'$gte': since}}]}
                 if filtered else None)
        collection.query(query_embeddings=[vector], n_results=K, where=where)
    result = measure(queries, embedder, search)
    result.update(ingest_per_s=len(items) / ingest_s, index_build_s=0.0, rss_mb=rss_mb())
    return result


def measure(queries: list[str], embedder: Any, search: Any) -> dict[str, float]:
    """Time recall (embed the question + search) unfiltered and filtered, and search alone."""
    for question in queries[:10]:
        search(embedder.embed_query(question), False)
    total, filtered, search_only = [], [], []
    for question in queries:
        started = time.perf_counter()
        vector = embedder.embed_query(question)
        embedded = time.perf_counter()
        search(vector, False)
        done = time.perf_counter()
        total.append((done - started) * 1000)
        search_only.append((done - embedded) * 1000)
        started = time.perf_counter()
        search(embedder.embed_query(question), True)
        filtered.append((time.perf_counter() - started) * 1000)
    return {'recall_p50_ms': statistics.median(total), 'recall_p95_ms': percentile(total, 0.95),
            'recall_filtered_p50_ms': statistics.median(filtered),
            'search_p50_ms': statistics.median(search_only)}


def child(system: str, n: int, vectors_path: str, query_count: int) -> None:
    import numpy as np
    from shadowhound_memory.embeddings.local import SentenceTransformerProvider
    embedder = SentenceTransformerProvider(threads=1)
    items = corpus(n)
    vectors = np.load(vectors_path)[:n]
    # The inputs are built before the baseline, so rss_store_mb is what the store itself holds.
    prepared = prepare_ours(items) if system == 'ours' else prepare_chroma(items)
    baseline = rss_mb()
    with tempfile.TemporaryDirectory(prefix=f'bench-{system}-') as folder:
        run = run_ours if system == 'ours' else run_chroma
        result = run(items, prepared, vectors, folder, questions(query_count), embedder)
    result['rss_store_mb'] = result['rss_mb'] - baseline
    print(json.dumps(result))


# Parent side --------------------------------------------------------------------------------

def query_embedding_p50(query_count: int) -> float:
    from shadowhound_memory.embeddings.local import SentenceTransformerProvider
    embedder = SentenceTransformerProvider(threads=1)
    times = []
    for question in questions(query_count):
        started = time.perf_counter()
        embedder.embed_query(question)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[10:])


def main() -> int:
    """Run every size for both stores, print the table and write core.json."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='1000,10000,100000')
    parser.add_argument('--queries', type=int, default=200)
    parser.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'core.json'))
    parser.add_argument('--child', nargs=3, metavar=('SYSTEM', 'N', 'VECTORS'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2], args.queries)
        return 0
    sizes = [int(s) for s in args.sizes.split(',')]
    print(f'bench-core: sizes {sizes}, {args.queries} queries, k={K}', flush=True)
    vectors = vectors_for(max(sizes))
    embed_p50 = query_embedding_p50(args.queries)
    rows = []
    for n in sizes:
        row: dict[str, Any] = {'n': n}
        for system in ('ours', 'chroma'):
            output = subprocess.run(
                [sys.executable, __file__, '--queries', str(args.queries), '--child', system,
                 str(n), str(vectors)], capture_output=True, text=True, check=True)
            figures = json.loads(output.stdout.strip().splitlines()[-1])
            if system == 'ours':
                row.update(figures)
            else:
                row['chroma'] = figures
        row['ratio_recall_p50_vs_chroma'] = row['recall_p50_ms'] / row['chroma']['recall_p50_ms']
        row['ratio_search_p50_vs_chroma'] = row['search_p50_ms'] / row['chroma']['search_p50_ms']
        rows.append(row)
        print(f"  n={n:>6}  ours: ingest {row['ingest_per_s']:8.0f}/s  recall p50 "
              f"{row['recall_p50_ms']:6.2f} ms p95 {row['recall_p95_ms']:6.2f}  filtered "
              f"{row['recall_filtered_p50_ms']:6.2f}  search {row['search_p50_ms']:6.3f}  "
              f"rss {row['rss_mb']:5.0f} MB", flush=True)
        chroma = row['chroma']
        print(f"  {'':>8}chroma: ingest {chroma['ingest_per_s']:8.0f}/s  recall p50 "
              f"{chroma['recall_p50_ms']:6.2f} ms p95 {chroma['recall_p95_ms']:6.2f}  filtered "
              f"{chroma['recall_filtered_p50_ms']:6.2f}  search {chroma['search_p50_ms']:6.3f}  "
              f"rss {chroma['rss_mb']:5.0f} MB", flush=True)
    largest = rows[-1]
    result = {
        'benchmark': 'core', 'k': K, 'model': 'sentence-transformers/all-MiniLM-L6-v2',
        'machine': {'cpus': os.cpu_count(), 'platform': platform.platform(),
                    'python': platform.python_version()},
        'query_embedding_p50_ms': embed_p50, 'sizes': rows,
        'targets_at_largest': {
            'n': largest['n'],
            'recall_p50_over_embedding': largest['recall_p50_ms'] / embed_p50,
            'recall_within_1_5x_embedding': largest['recall_p50_ms'] <= 1.5 * embed_p50,
            'chroma_over_ours_recall_p50': 1 / largest['ratio_recall_p50_vs_chroma'],
            'at_least_3x_faster_than_chroma': largest['ratio_recall_p50_vs_chroma'] <= 1 / 3,
            'chroma_over_ours_search_p50': 1 / largest['ratio_search_p50_vs_chroma'],
            'filtered_not_slower': largest['recall_filtered_p50_ms'] <= largest['recall_p50_ms'],
        },
    }
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + '\n')
    targets = json.dumps(result['targets_at_largest'])
    print(f'query embedding alone p50 {embed_p50:.2f} ms; targets: {targets}')
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
