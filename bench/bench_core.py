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
Benchmark of the memory core: ingest and recall from 1k to 1M memories, ours vs Chroma.

The peer is what ShadowHound uses today (DIMOS LocalSemanticMemory): a Chroma persistent
collection embedding with torch all-MiniLM-L6-v2. Both stores get the same records and the same
vectors, and a recall is timed the same way for both: embed the question, then search top-k; ours
embeds with its default provider (the same model under ONNX Runtime, equal vectors), Chroma with
torch, as the robot's current memory does. Each (store, size) runs in a child process of its
own, one after another, so RSS is the store's and the two never compete for the 2 cores.

The first 100k texts are embedded for real (cached under .cache/bench). Above that the vectors
are synthetic: vector i is real vector (i mod 100k) plus Gaussian noise (sigma 0.025 per
component, cosine about 0.9 to its source), renormalized, so the million keeps the clustering of
real text without embedding a million texts. Chroma is not run above 100k (its ingest alone would
take over ten minutes). Besides the sizes, it measures the query embedding of each provider side
by side (torch, ONNX, ONNX int8 with its quality cost) and the store's int8 quantization against
exact search (success@10 on the synthetic world's gold questions). Writes bench/results/core.json.

    python bench/bench_core.py [--sizes 1000,10000,100000,1000000] [--queries 200]
"""

import argparse
import hashlib
import itertools
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
from typing import Any, Iterable, Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / '.cache' / 'bench'
K = 10
EMBEDDED_MAX = 100_000
SYNTHETIC_SIGMA = 0.025
# Above this size a run reports as it goes, so a build cut short by the time limit still leaves
# its ingest and exact-search figures.
LARGE = 200_000
COLOURS = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'orange', 'purple', 'silver']
OBJECTS = ['ball', 'mug', 'backpack', 'laptop', 'plant', 'charger', 'book', 'box', 'bottle',
           'umbrella', 'wallet', 'toy car', 'lamp', 'shoe', 'keys', 'remote', 'package']
PLACES = ['on the table', 'under the bed', 'next to the sink', 'behind the sofa', 'on the desk',
          'by the door', 'on the shelf', 'in the corner', 'near the window', 'on the floor']
ROOMS = ['kitchen', 'living room', 'bedroom', 'office', 'garage', 'hallway', 'bathroom', 'lab']
VERBS = ['Saw', 'Spotted', 'Found', 'Noticed', 'Detected', 'There is']


def corpus_iter(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Yield n varied observation records with missions, times and places."""
    rng = random.Random(seed)
    for i in range(n):
        room = rng.choice(ROOMS)
        text = (f'{rng.choice(VERBS)} a {rng.choice(COLOURS)} {rng.choice(OBJECTS)} '
                f'{rng.choice(PLACES)} in the {room} (waypoint {i % 997}).')
        yield {'text': text, 'mission_id': f'm{i % 10}', 'timestamp': 1.7e9 + i,
               'x': rng.uniform(-50, 50), 'y': rng.uniform(-50, 50),
               'room': room.replace(' ', '_')}


def corpus(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Return n varied observation records with missions, times and places."""
    return list(corpus_iter(n, seed))


def questions(count: int, seed: int = 11) -> list[str]:
    """Return recall questions of the kind an agent asks."""
    rng = random.Random(seed)
    forms = ['Where did we see the {c} {o}?', 'Is there a {c} {o} in the {r}?',
             'What was {p}?', 'Find the {o}.']
    return [rng.choice(forms).format(c=rng.choice(COLOURS), o=rng.choice(OBJECTS),
                                     r=rng.choice(ROOMS), p=rng.choice(PLACES))
            for _ in range(count)]


def make_embedder(kind: str, threads: int = 1, batch_size: int = 32) -> Any:
    """Return the provider ``kind`` (onnx, onnx_int8, torch) on ``threads`` threads."""
    if kind == 'torch':
        from shadowhound_memory.embeddings.local import SentenceTransformerProvider
        return SentenceTransformerProvider(batch_size=batch_size, threads=threads)
    from shadowhound_memory.embeddings.onnx_runtime import OnnxProvider
    return OnnxProvider(quantized=kind == 'onnx_int8', batch_size=batch_size, threads=threads)


def vectors_for(n: int) -> pathlib.Path:
    """Embed the first min(n, 100k) corpus texts once and cache the vectors (both stores')."""
    import numpy as np
    # One cache for every size up to 100k: smaller runs read its first rows.
    n = EMBEDDED_MAX
    items = corpus(n)
    digest = hashlib.sha256(json.dumps([i['text'] for i in items]).encode()).hexdigest()[:12]
    path = CACHE / f'vectors-{n}-{digest}.npy'
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        # The ONNX provider makes torch's vectors (test_onnx_embeddings holds it to that), faster.
        embedder = make_embedder('onnx', threads=2, batch_size=64)
        started = time.perf_counter()
        vectors = np.asarray(embedder.embed([i['text'] for i in items]), dtype=np.float32)
        print(f'  embedded {n} texts in {time.perf_counter() - started:.0f} s', flush=True)
        np.save(path, vectors)
    return path


def load_vectors(path: str, n: int) -> Any:
    """Return n vectors: the real ones, then synthetic ones made from them (see the docstring)."""
    import numpy as np
    real = np.load(path)
    if n <= len(real):
        return real[:n]
    rng = np.random.default_rng(5)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    out[:len(real)] = real
    for start in range(len(real), n, len(real)):
        stop = min(n, start + len(real))
        noisy = real[:stop - start] + rng.normal(
            0.0, SYNTHETIC_SIGMA, size=(stop - start, real.shape[1])).astype(np.float32)
        out[start:stop] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


# Child side ---------------------------------------------------------------------------------

def prepare_ours(items: Iterable[dict[str, Any]]) -> list[Any]:
    from shadowhound_memory.domain.records import MemoryRecord, Pose
    return [MemoryRecord(event='object_seen', text=i['text'], pose=Pose(x=i['x'], y=i['y']),
                         tags=[f"room:{i['room']}"], mission_id=i['mission_id'],
                         timestamp=i['timestamp']) for i in items]


def prepare_chroma(items: list[dict[str, Any]]) -> list[Any]:
    return [{k: i[k] for k in ('mission_id', 'timestamp', 'x', 'y', 'room')} for i in items]


def report(stage: str, figures: dict[str, Any]) -> None:
    """Print figures so far as one JSON line; the parent keeps the last one it got."""
    print(json.dumps({'stage': stage, **figures}), flush=True)


def run_ours(n: int, vectors: Any, folder: str, queries: list[str], embedder: Any,
             quantize: bool = False) -> dict[str, Any]:
    from shadowhound_memory.store.base import CollectionInfo
    from shadowhound_memory.store.edge import EdgeStore
    info = CollectionInfo(embedder.model_id, embedder.dimension, 1)
    store = EdgeStore(folder, optimize_threshold=10**9, quantize=quantize)
    store.open_collection(info)
    items = corpus_iter(n)
    started = time.perf_counter()
    for start in range(0, n, 256):
        chunk = prepare_ours(itertools.islice(items, 256))
        store.upsert(chunk, vectors[start:start + 256].tolist())
    result: dict[str, Any] = {'ingest_per_s': n / (time.perf_counter() - started)}
    since = 1.7e9 + n // 2
    if n >= LARGE:
        # Exact search before the index exists: what a store answers while its build waits.
        exact = measure(queries[:30], embedder, ours_search(store, since))
        result.update({f'unindexed_{key}': value for key, value in exact.items()})
        report('ingested', {**result, 'rss_mb': rss_mb()})
    started = time.perf_counter()
    store.optimize()
    result['index_build_s'] = time.perf_counter() - started
    if n >= LARGE:
        report('indexed', {**result, 'rss_mb': rss_mb()})
    result.update(measure(queries, embedder, ours_search(store, since)))
    result['rss_mb'] = rss_mb()
    store.close()
    # Cold start of the store: open the shard again (a fresh handle) and answer one search.
    started = time.perf_counter()
    reopened = EdgeStore(folder, quantize=quantize)
    reopened.open_collection(info)
    ours_search(reopened, since)(vectors[0].tolist(), False)
    result['reopen_s'] = time.perf_counter() - started
    reopened.close()
    return result


def ours_search(store: Any, since: float) -> Any:
    """Return the search a recall makes, unfiltered or by mission and time."""
    from shadowhound_memory.store.base import MemoryFilter

    def search(vector: list[float], filtered: bool) -> None:
        flt = MemoryFilter(mission_ids=('m3',), time_from=since) if filtered else MemoryFilter()
        store.search(vector, flt, K)
    return search


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
    ours = system.startswith('ours')
    # Ours embeds with its default provider; Chroma with torch, as the robot's memory does now.
    embedder = make_embedder('onnx' if ours else 'torch')
    vectors = load_vectors(vectors_path, n)
    # The inputs are built before the baseline, so rss_store_mb is what the store itself holds
    # (ours builds its records batch by batch, which a million of them needs).
    items = None if ours else corpus(n)
    prepared = None if ours else prepare_chroma(items or [])
    baseline = rss_mb()
    with tempfile.TemporaryDirectory(prefix=f'bench-{system}-') as folder:
        if ours:
            result = run_ours(n, vectors, folder, questions(query_count), embedder,
                              quantize=system == 'ours_int8')
        else:
            result = run_chroma(items or [], prepared, vectors, folder, questions(query_count),
                                embedder)
    result['rss_store_mb'] = result['rss_mb'] - baseline
    report('done', result)


# Parent side --------------------------------------------------------------------------------

def embedding_figures(query_count: int) -> dict[str, Any]:
    """
    Time single queries of each provider, interleaved, and measure int8's quality cost.

    Quality is against torch (the reference model): mean cosine of the vectors, and the overlap
    of the top-10 a question gets over the synthetic world's observations.
    """
    import numpy as np
    from shadowhound_memory.synthetic.world import gold_questions, make_mission
    kinds = ('torch', 'onnx', 'onnx_int8')
    embedders = {kind: make_embedder(kind) for kind in kinds}
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for i, question in enumerate(questions(query_count + 10)):
        for kind in kinds:
            started = time.perf_counter()
            embedders[kind].embed_query(question)
            if i >= 10:
                times[kind].append((time.perf_counter() - started) * 1000)
    texts: list[str] = []
    asked: list[str] = []
    for seed in range(200, 206):
        mission = make_mission(seed=seed, n_rooms=8)
        texts += [o.text for o in mission.observations]
        asked += [q.question for q in gold_questions(mission)]
    reference = np.asarray(embedders['torch'].embed(texts))
    reference_q = np.asarray(embedders['torch'].embed(asked))
    figures: dict[str, Any] = {'texts': len(texts), 'questions': len(asked)}
    for kind in kinds:
        corpus_v = np.asarray(embedders[kind].embed(texts))
        asked_v = np.asarray(embedders[kind].embed(asked))
        cosine = float((corpus_v * reference).sum(axis=1).mean())
        overlap = statistics.mean(
            len(set(np.argsort(-(corpus_v @ q))[:K]) & set(np.argsort(-(reference @ r))[:K])) / K
            for q, r in zip(asked_v, reference_q))
        figures[kind] = {'query_p50_ms': statistics.median(times[kind]),
                         'query_p95_ms': percentile(times[kind], 0.95),
                         'mean_cosine_to_torch': cosine, 'top10_overlap_with_torch': overlap}
    return figures


def quantization_quality(filler: int) -> dict[str, Any]:
    """
    Success@10 of gold questions: exact search vs the HNSW index, with and without int8.

    Observations of synthetic missions are stored among ``filler`` bench memories (so the index
    and the quantization have a real haystack to get wrong); a question succeeds when one of its
    gold observations is in its top 10, searched within its mission (as a recall does by
    default) and over the whole store.
    """
    from shadowhound_memory.domain.records import MemoryRecord, Pose
    from shadowhound_memory.store.base import CollectionInfo, MemoryFilter
    from shadowhound_memory.store.edge import EdgeStore
    from shadowhound_memory.synthetic.world import gold_questions, make_mission
    embedder = make_embedder('onnx', batch_size=64)
    records, asked = [], []
    for seed in range(300, 310):
        mission = make_mission(seed=seed, mission_id=f'w{seed}', n_rooms=8,
                               start_time=1.7e9 + seed * 10_000)
        ids = []
        for obs in mission.observations:
            x, y, yaw = obs.robot_pose
            record = MemoryRecord(event='object_seen', text=obs.text, tags=list(obs.tags),
                                  mission_id=mission.mission_id,
                                  timestamp=mission.start_time + obs.t,
                                  pose=Pose(x=x, y=y, yaw=yaw))
            records.append(record)
            ids.append(record.id)
        asked += [(q.question, mission.mission_id, {ids[i] for i in q.observation_indices})
                  for q in gold_questions(mission)]
    vectors = embedder.embed([r.text for r in records])
    question_vectors = embedder.embed([q for q, _, _ in asked])
    filler_vectors = load_vectors(str(vectors_for(filler)), filler)
    filler_records = prepare_ours(corpus_iter(filler))
    info = CollectionInfo(embedder.model_id, embedder.dimension, 1)

    def success(store: Any) -> dict[str, float]:
        hits = {'in_mission': 0, 'whole_store': 0}
        for vector, (_, mission_id, gold) in zip(question_vectors, asked):
            for scope, flt in (('in_mission', MemoryFilter(mission_ids=(mission_id,))),
                               ('whole_store', MemoryFilter())):
                found = {h.record.id for h in store.search(vector, flt, K)}
                hits[scope] += bool(found & gold)
        return {f'success_at_10_{scope}': 100.0 * count / len(asked)
                for scope, count in hits.items()}

    figures: dict[str, Any] = {'questions': len(asked), 'memories': len(records) + filler}
    for name, quantize in (('fp32', False), ('int8', True)):
        with tempfile.TemporaryDirectory(prefix='bench-quant-') as folder:
            store = EdgeStore(folder, optimize_threshold=10**9, quantize=quantize)
            store.open_collection(info)
            for start in range(0, filler, 1000):
                store.upsert(filler_records[start:start + 1000],
                             filler_vectors[start:start + 1000].tolist())
            store.upsert(records, vectors)
            if name == 'fp32':
                figures['exact'] = success(store)
            store.optimize()
            figures[f'hnsw_{name}'] = success(store)
            store.close()
    figures['int8_points_lost_vs_exact'] = max(
        figures['exact'][key] - figures['hnsw_int8'][key] for key in figures['exact'])
    figures['int8_within_half_a_point'] = figures['int8_points_lost_vs_exact'] <= 0.5
    return figures


def run_child(system: str, n: int, vectors: pathlib.Path, query_count: int,
              timeout_s: float) -> dict[str, Any]:
    """Run one (store, size) in a child; keep its last report if the time limit cuts it."""
    process = subprocess.Popen(
        [sys.executable, __file__, '--queries', str(query_count), '--child', system, str(n),
         str(vectors)], stdout=subprocess.PIPE, text=True)
    try:
        out, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    reports = [json.loads(line) for line in out.splitlines() if line.startswith('{')]
    if not reports:
        raise RuntimeError(f'{system} at n={n} reported nothing (exit {process.returncode})')
    figures = reports[-1]
    if figures.pop('stage') != 'done':
        figures['cut_short_after_s'] = timeout_s
    return figures


def main() -> int:
    """Run every size for both stores, print the table and write core.json."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='1000,10000,100000,1000000')
    parser.add_argument('--queries', type=int, default=200)
    parser.add_argument('--quant-filler', type=int, default=100_000,
                        help='bench memories around the gold missions in the quantization check')
    parser.add_argument('--large-timeout', type=float, default=1800.0,
                        help='seconds a run above 100k may take before its last report is kept')
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
    embedding = embedding_figures(args.queries)
    for kind in ('torch', 'onnx', 'onnx_int8'):
        e = embedding[kind]
        print(f"  query embedding {kind:>9}: p50 {e['query_p50_ms']:6.2f} ms  p95 "
              f"{e['query_p95_ms']:6.2f} ms  mean cosine to torch "
              f"{e['mean_cosine_to_torch']:.4f}  top-10 overlap "
              f"{e['top10_overlap_with_torch']:.3f}", flush=True)
    embed_p50 = embedding['onnx']['query_p50_ms']
    quality = quantization_quality(args.quant_filler)
    print(f"  store int8 quantization: success@10 exact {quality['exact']}, HNSW fp32 "
          f"{quality['hnsw_fp32']}, HNSW int8+rescore {quality['hnsw_int8']}", flush=True)
    rows = []
    for n in sizes:
        row: dict[str, Any] = {'n': n}
        timeout = args.large_timeout if n > EMBEDDED_MAX else 3600.0
        row.update(run_child('ours', n, vectors, args.queries, timeout))
        row['chroma'] = run_child('chroma', n, vectors, args.queries, timeout) \
            if n <= EMBEDDED_MAX else None
        if n == EMBEDDED_MAX:
            row['ours_int8'] = run_child('ours_int8', n, vectors, args.queries, timeout)
        rows.append(row)
        print(f"  n={n:>7}  ours: ingest {row['ingest_per_s']:8.0f}/s  recall p50 "
              f"{row.get('recall_p50_ms', float('nan')):6.2f} ms p95 "
              f"{row.get('recall_p95_ms', float('nan')):6.2f}  filtered "
              f"{row.get('recall_filtered_p50_ms', float('nan')):6.2f}  search "
              f"{row.get('search_p50_ms', float('nan')):6.3f}  index "
              f"{row.get('index_build_s', float('nan')):6.1f} s  reopen "
              f"{row.get('reopen_s', float('nan')):5.2f} s  rss {row['rss_mb']:5.0f} MB",
              flush=True)
        for name in ('ours_int8', 'chroma'):
            other = row.get(name)
            if other:
                print(f"  {'':>9}{name}: ingest {other['ingest_per_s']:8.0f}/s  recall p50 "
                      f"{other['recall_p50_ms']:6.2f} ms p95 {other['recall_p95_ms']:6.2f}  "
                      f"filtered {other['recall_filtered_p50_ms']:6.2f}  search "
                      f"{other['search_p50_ms']:6.3f}  rss {other['rss_mb']:5.0f} MB",
                      flush=True)
        if row['chroma'] and 'recall_p50_ms' in row:
            row['ratio_recall_p50_vs_chroma'] = \
                row['recall_p50_ms'] / row['chroma']['recall_p50_ms']
            row['ratio_search_p50_vs_chroma'] = \
                row['search_p50_ms'] / row['chroma']['search_p50_ms']
    by_n = {row['n']: row for row in rows}
    base = by_n.get(EMBEDDED_MAX, rows[-1])
    million = by_n.get(1_000_000)
    targets: dict[str, Any] = {
        'n': base['n'],
        'query_embedding_speedup_vs_torch':
            embedding['torch']['query_p50_ms'] / embed_p50,
        'query_embedding_at_least_2x_faster': embedding['torch']['query_p50_ms'] >= 2 * embed_p50,
        'query_embedding_same_top10': embedding['onnx']['top10_overlap_with_torch'] == 1.0,
        'filtered_not_slower': base['recall_filtered_p50_ms'] <= base['recall_p50_ms'],
        'store_int8_within_half_a_point': quality['int8_within_half_a_point'],
    }
    if base.get('chroma'):
        targets['chroma_over_ours_recall_p50'] = 1 / base['ratio_recall_p50_vs_chroma']
        targets['at_most_one_third_of_chroma'] = base['ratio_recall_p50_vs_chroma'] <= 1 / 3
    if million and 'recall_p50_ms' in million:
        targets['recall_p50_1m_over_100k'] = million['recall_p50_ms'] / base['recall_p50_ms']
        targets['recall_p50_1m_at_most_2x'] = targets['recall_p50_1m_over_100k'] <= 2.0
    result = {
        'benchmark': 'core', 'k': K, 'model': 'sentence-transformers/all-MiniLM-L6-v2',
        'machine': {'cpus': os.cpu_count(), 'platform': platform.platform(),
                    'python': platform.python_version()},
        'vectors': f'first {EMBEDDED_MAX} texts embedded; above, real vector (i mod '
                   f'{EMBEDDED_MAX}) plus N(0, {SYNTHETIC_SIGMA}) noise per component, '
                   'renormalized',
        'query_embedding_p50_ms': embed_p50,
        'query_embedding_torch_p50_ms': embedding['torch']['query_p50_ms'],
        'embedding': embedding, 'store_quantization': quality, 'sizes': rows,
        'targets': targets,
    }
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + '\n')
    print(f'targets: {json.dumps(targets)}')
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
