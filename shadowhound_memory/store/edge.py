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
The embedded default store: Qdrant Edge on local disk, in the node's own process.

No server to run on the robot, and Qdrant's filtering engine all the same. Layout under the store
path: ``collection.json`` (embedding model, dimension, schema version) beside ``shard/`` (Edge's
WAL and segments). Every write goes through Edge's write-ahead log before the call returns, so an
acknowledged write survives a kill -9 (the durability test kills a real writer to check it).
Edge has no background optimizer: search is exact until ``optimize()`` builds the HNSW index
(exact search over a few thousand 384-d vectors takes well under a millisecond, and 100k about
15 ms). The build holds the GIL for its whole run (measured by `make chaos`: 20 s at 20k points
on a busy 2-core machine, every other thread of the process stalled as long), so it never runs in
the node's process: when the store is opened with more than ``optimize_threshold`` points
unindexed, it copies the shard to ``shard.build/`` and a child process builds the index there,
while this process answers at once with exact search. Writes made meanwhile are kept in a
journal; when the child is done, the journal is replayed on the built copy, which then replaces
``shard/`` (``shard/`` -> ``shard.old/``, ``shard.build/`` -> ``shard/``), so nothing written
during the build is lost and the swap stalls the store only for a load and the replay.

Edge writes its segments through memory maps. When the disk fills, a write into a mapped page
that the file system cannot back kills the process with SIGBUS (measured on a full tmpfs: the
whole node died, the data written before survived). Besides about 5 KB per memory, Edge takes
disk in steps: vectors in 32 MB chunks, and a new segment of about 58 MB when a store is first
loaded after it was written. So the store refuses to open, and refuses upserts, with an error
that says why, while the disk holding it has less than ``min_free_bytes`` left (the node's
default of 100 MB covers both steps); deletes stay allowed, being small and the way to make room.

A delete only hides a point: its payload stays in the segment pages and in the WAL, readable with
grep (measured, also after ``optimize()``). ``purge_deleted()``, which a forget calls, rewrites
the shard with the live points only and swaps it in: ``shard.compact/`` is built and closed,
``shard/`` becomes ``shard.old/``, ``shard.compact/`` becomes ``shard/``, ``shard.old/`` is
removed; ``open_collection()`` finishes or undoes a swap that a crash interrupted.

Every point holds its MiniLM vector (the unnamed default vector) and a BM25 sparse vector
(``bm25``, IDF modifier) of its text and tag values, so a search can be dense or hybrid (the two
rankings fused by the engine, RRF by default). Stores written before sparse vectors existed
(dense only) are migrated when opened: the sparse vector is added to the shard's configuration
and filled in for every point that lacks it, in pages, by ``update_vectors``; ids, payloads and
dense vectors are untouched. The migration picks up where it stopped if it is cut short, since
it selects the points without a sparse vector each time.
"""

from collections.abc import Sequence
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

import qdrant_edge as edge

from shadowhound_memory.domain.errors import StoreError
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter, MemoryStore, ScoredRecord
from shadowhound_memory.store.payload import (check_info, check_vectors, Condition, conditions,
                                              first_in_circle, FLOAT_INDEXES, from_payload,
                                              fsync_dir, KEYWORD_INDEXES, Match, MatchAnyOf,
                                              read_info, to_payload, valid_ids, write_info)
from shadowhound_memory.store.sparse import (BM25_VECTOR, document_vector, Fusion, FUSIONS,
                                             normalized_fused_score, query_vector, RRF_K,
                                             SparseVector)

_LOG = logging.getLogger(__name__)

INFO_FILE = 'collection.json'
SHARD_DIR = 'shard'
COMPACT_DIR = 'shard.compact'
OLD_DIR = 'shard.old'
BUILD_DIR = 'shard.build'
COMPACT_PAGE = 1000
DEFAULT_MIN_FREE_BYTES = 100 * 2**20
EDGE_CONFIG_FILE = 'edge_config.json'
# Candidates each ranking hands to the fusion: deep enough that a record ranked low by one and
# high by the other still meets itself, cheap next to the search (measured in bench_core).
HYBRID_PREFETCH = 50


def _condition(condition: Condition) -> Any:
    if isinstance(condition, Match):
        return edge.FieldCondition(key=condition.key, match=edge.MatchValue(condition.value))
    if isinstance(condition, MatchAnyOf):
        return edge.FieldCondition(key=condition.key, match=edge.MatchAny(list(condition.values)))
    return edge.FieldCondition(key=condition.key,
                               range=edge.RangeFloat(gte=condition.gte, lte=condition.lte))


def _edge_filter(flt: MemoryFilter) -> Any:
    must = [_condition(c) for c in conditions(flt)]
    return edge.Filter(must=must) if must else None


def _unindexed(shard_info: Any) -> int:
    """
    Return how many points lack the dense HNSW index.

    Edge counts every point's BM25 vector as indexed at once (a sparse index has no build), and
    every point has one (``open_collection`` migrates older stores), so the dense count is what
    the total exceeds the points by.
    """
    dense_indexed = shard_info.indexed_vectors_count - shard_info.points_count
    return min(shard_info.points_count, max(0, shard_info.points_count - dense_indexed))


def _sparse(vector: SparseVector) -> Any:
    return edge.SparseVector(vector[0], vector[1])


def _point(record: MemoryRecord, vector: list[float]) -> Any:
    return edge.Point(record.id, {'': vector, BM25_VECTOR: _sparse(document_vector(record))},
                      to_payload(record))


def _dense(vector: Any) -> list[float]:
    """Return the dense vector of a point read back (a dict once it has named vectors)."""
    if isinstance(vector, dict):
        vector = vector['']
    return [float(x) for x in vector]


class _IndexBuild:
    """One background index build: its child process and the writes made while it runs."""

    def __init__(self) -> None:
        self.journal: list[Any] = []
        self.cancelled = False
        self.process: subprocess.Popen[bytes] | None = None
        self.done = threading.Event()
        self.started = time.monotonic()


class EdgeStore(MemoryStore):
    """Memory records in a Qdrant Edge shard under ``path``; one process at a time."""

    def __init__(self, path: str | os.PathLike[str], optimize_threshold: int = 20000,
                 min_free_bytes: int = DEFAULT_MIN_FREE_BYTES, fusion: Fusion = 'rrf',
                 quantize: bool = False, background_index: bool = True) -> None:
        """
        Describe the store; nothing is opened before ``open_collection()``.

        ``quantize`` (fixed when the shard is created) keeps int8 copies of the vectors for the
        index and rescores the best candidates on the originals, which stay on disk.
        ``background_index`` builds the index at open in a child process (see the module
        docstring); without it ``open_collection()`` builds it in this process and blocks.
        """
        if fusion not in FUSIONS:
            raise StoreError(f'fusion must be one of {", ".join(FUSIONS)}, got {fusion!r}')
        if optimize_threshold < 1:
            raise StoreError(f'optimize_threshold must be at least 1, got {optimize_threshold}')
        if min_free_bytes < 0:
            raise StoreError(f'min_free_bytes must not be negative, got {min_free_bytes}')
        self.path = os.path.abspath(os.fspath(path))
        self.optimize_threshold = optimize_threshold
        self.min_free_bytes = min_free_bytes
        self.fusion = fusion
        self.quantize = quantize
        self.background_index = background_index
        self._build: _IndexBuild | None = None
        self.last_build_s: float | None = None
        # Rescoring twice the limit on the originals gives back what int8 rounding reorders.
        self._search_params = edge.SearchParams(
            quantization=edge.QuantizationSearchParams(rescore=True, oversampling=2.0)) \
            if quantize else None
        self._shard: Any = None
        self._info: CollectionInfo | None = None
        self._lock = threading.RLock()
        self._since_optimize = 0

    # Lifecycle --------------------------------------------------------------------------------

    def open_collection(self, info: CollectionInfo) -> None:
        """Create the shard or load it, refusing another embedding model's collection."""
        info_path = os.path.join(self.path, INFO_FILE)
        shard_path = os.path.join(self.path, SHARD_DIR)
        with self._lock:
            if self._shard is not None:
                check_info(self._require_info(), info, f'the store at {self.path}')
                return
            os.makedirs(self.path, exist_ok=True)
            self._check_free_space('open the store')
            self._finish_swap()
            stored = read_info(info_path)
            exists = os.path.exists(os.path.join(shard_path, 'edge_config.json'))
            if exists and stored is not None:
                check_info(stored, info, f'the store at {self.path}')
            elif exists:
                raise StoreError(
                    f'the store at {self.path} has a shard but no {INFO_FILE}, so the embedding '
                    'model of its vectors is unknown; restore the file or use another store path')
            else:
                # Recorded before the shard exists, so no shard is ever without its model.
                write_info(info_path, info)
            try:
                self._shard = edge.EdgeShard.load(shard_path) if exists else self._create(
                    shard_path, info)
            except Exception as exc:  # noqa: B902 - Edge raises plain Exception
                if 'WAL' in str(exc):
                    raise StoreError(
                        f'the store at {self.path} is held by another process (only one process '
                        f'may open it; stop the other node or use another store path): {exc}'
                    ) from exc
                raise StoreError(f'cannot open the store at {self.path}: {exc}') from exc
            self._migrate_to_hybrid(shard_path)
            shard_info = self._shard.info()
            self._since_optimize = _unindexed(shard_info)
            self._info = info
            if self._since_optimize > self.optimize_threshold:
                try:
                    if self.background_index:
                        self._start_build()
                    else:
                        self.optimize()
                except StoreError as exc:
                    # Search stays exact (correct, slower) until the next start has room.
                    _LOG.warning('%s', exc)

    def _migrate_to_hybrid(self, shard_path: str) -> None:
        """Give a dense-only shard (written before hybrid search) its BM25 vectors."""
        try:
            with open(os.path.join(shard_path, EDGE_CONFIG_FILE)) as handle:
                sparse_names = json.load(handle).get('sparse_vectors') or {}
        except (OSError, ValueError) as exc:
            raise StoreError(f'cannot read the shard configuration in {shard_path}: {exc}') \
                from exc
        if BM25_VECTOR not in sparse_names:
            _LOG.info('the store at %s has no BM25 vectors (written by an older version); '
                      'adding them for hybrid search', self.path)
            self._update(edge.UpdateOperation.create_sparse_vector(BM25_VECTOR,
                                                                   edge.Modifier.Idf))
        missing = edge.Filter(must_not=[edge.HasVectorCondition(BM25_VECTOR)])
        filled = 0
        while True:
            request = edge.ScrollRequest(limit=COMPACT_PAGE, filter=missing, with_payload=True,
                                         with_vector=False)
            points, _ = self._read('read', self._shard.scroll, request)
            if not points:
                break
            self._update(edge.UpdateOperation.update_vectors([
                edge.PointVectors(p.id, {BM25_VECTOR: _sparse(document_vector(
                    from_payload(p.payload)))}) for p in points]))
            filled += len(points)
        if filled:
            self._shard.flush()
            _LOG.info('added BM25 vectors to %d memories in %s', filled, self.path)

    def _finish_swap(self) -> None:
        """Complete or undo a purge_deleted() swap that a crash cut short."""
        shard, compact, old, build = (os.path.join(self.path, d)
                                      for d in (SHARD_DIR, COMPACT_DIR, OLD_DIR, BUILD_DIR))
        if os.path.exists(old) and not os.path.exists(shard):
            # Crashed between the two renames: the new shard was complete and closed (a purge
            # cancels a build, so a compacted shard is the newer of the two).
            newer = next((d for d in (compact, build) if os.path.exists(d)), old)
            os.rename(newer, shard)
            fsync_dir(self.path)
        for leftover in (compact, old, build):
            if os.path.exists(leftover):
                shutil.rmtree(leftover)

    def _create(self, shard_path: str, info: CollectionInfo) -> Any:
        sparse = {BM25_VECTOR: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf)}
        if self.quantize:
            config = edge.EdgeConfig(
                vectors=edge.EdgeVectorParams(size=info.dimension, distance=edge.Distance.Cosine,
                                              memory=edge.Memory.Cold),
                sparse_vectors=sparse,
                quantization_config=edge.ScalarQuantizationConfig(
                    edge.ScalarType.Int8, quantile=0.99, memory=edge.Memory.Pinned))
        else:
            config = edge.EdgeConfig(
                vectors=edge.EdgeVectorParams(size=info.dimension, distance=edge.Distance.Cosine),
                sparse_vectors=sparse)
        shard = edge.EdgeShard.create(shard_path, config)
        indexes = [(name, edge.PayloadSchemaType.Keyword) for name in KEYWORD_INDEXES]
        indexes += [(name, edge.PayloadSchemaType.Float) for name in FLOAT_INDEXES]
        for name, schema in indexes:
            shard.update(edge.UpdateOperation.create_field_index(name, schema))
        return shard

    def close(self) -> None:
        """Stop a background build, flush and release the shard; safe to call twice."""
        self._cancel_build()
        with self._lock:
            if self._shard is not None:
                try:
                    self._shard.flush()
                    self._shard.close()
                finally:
                    self._shard = None

    def _require(self) -> Any:
        if self._shard is None:
            raise StoreError(f'the store at {self.path} is not open; call open_collection()')
        return self._shard

    def _require_info(self) -> CollectionInfo:
        if self._info is None:
            raise StoreError(f'the store at {self.path} is not open; call open_collection()')
        return self._info

    def _update(self, operation: Any) -> None:
        try:
            self._require().update(operation)
        except StoreError:
            raise
        except Exception as exc:  # noqa: B902 - Edge raises plain Exception
            raise StoreError(f'the store at {self.path} refused a write: {exc}') from exc
        if self._build is not None:
            # Replayed on the copy the child indexes, before it replaces the shard.
            self._build.journal.append(operation)

    # Background index build -------------------------------------------------------------------

    @property
    def index_building(self) -> bool:
        """Tell whether a child process is building the index (search is exact meanwhile)."""
        return self._build is not None

    def wait_for_index(self, timeout: float | None = None) -> bool:
        """Wait until no background build runs; return False if it still runs at the timeout."""
        build = self._build
        return build is None or build.done.wait(timeout)

    def _start_build(self) -> None:
        """Copy the shard and start the child that indexes the copy (under the store lock)."""
        shard = self._require()
        self._check_free_space('build the search index')
        build_path = os.path.join(self.path, BUILD_DIR)
        if os.path.exists(build_path):
            shutil.rmtree(build_path)
        try:
            shard.flush()
            shutil.copytree(os.path.join(self.path, SHARD_DIR), build_path)
        except (OSError, shutil.Error) as exc:
            shutil.rmtree(build_path, ignore_errors=True)
            raise StoreError(f'cannot copy the store at {self.path} to index it '
                             f'({exc}); search stays exact') from exc
        except Exception as exc:  # noqa: B902 - Edge raises plain Exception
            raise StoreError(f'cannot flush the store at {self.path}: {exc}') from exc
        build = _IndexBuild()
        self._build = build
        _LOG.info('building the search index of %s in a child process (%d unindexed points); '
                  'search is exact until it is done', self.path, self._since_optimize)
        threading.Thread(target=self._run_build, args=(build, build_path), daemon=True,
                         name='index-build').start()

    def _run_build(self, build: _IndexBuild, build_path: str) -> None:
        """Wait for the child (no GIL held while waiting), then swap the built copy in."""
        try:
            with self._lock:
                if build.cancelled:
                    return
                build.process = subprocess.Popen(
                    [sys.executable, '-m', 'shadowhound_memory.store.index_build', build_path],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, err = build.process.communicate()
            with self._lock:
                if build.cancelled or self._build is not build:
                    return
                if build.process.returncode != 0:
                    _LOG.warning('the index build of %s failed (exit %s): %s; search stays exact',
                                 self.path, build.process.returncode,
                                 err.decode(errors='replace')[-500:])
                    return
                self._swap_in_build(build, build_path)
        except Exception:  # noqa: B902 - a failed build must leave the store as it was
            _LOG.exception('the index build of %s failed; search stays exact', self.path)
        finally:
            with self._lock:
                if self._build is build:
                    self._build = None
                if os.path.exists(build_path) and os.path.exists(
                        os.path.join(self.path, SHARD_DIR)):
                    shutil.rmtree(build_path, ignore_errors=True)
            build.done.set()

    def _swap_in_build(self, build: _IndexBuild, build_path: str) -> None:
        """Replay the journal on the built copy, then make it the shard (under the store lock)."""
        built = edge.EdgeShard.load(build_path)
        try:
            for operation in build.journal:
                built.update(operation)
            built.flush()
        finally:
            built.close()
        shard_path, old_path = (os.path.join(self.path, d) for d in (SHARD_DIR, OLD_DIR))
        live = self._require()
        live.flush()
        live.close()
        self._shard = None
        try:
            os.rename(shard_path, old_path)
            os.rename(build_path, shard_path)
            fsync_dir(self.path)
            shutil.rmtree(old_path)
        finally:
            self._finish_swap()
            self._shard = edge.EdgeShard.load(shard_path)
        shard_info = self._shard.info()
        self._since_optimize = _unindexed(shard_info)
        self.last_build_s = time.monotonic() - build.started
        _LOG.info('the search index of %s is built (%.1f s, %d writes replayed)', self.path,
                  self.last_build_s, len(build.journal))

    def _cancel_build(self) -> None:
        """Stop a running build; the store keeps answering with exact search."""
        build = self._build
        if build is None:
            return
        build.cancelled = True
        if build.process is not None and build.process.poll() is None:
            build.process.kill()
        build.done.wait(60.0)

    def _read(self, what: str, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except Exception as exc:  # noqa: B902 - Edge raises plain Exception
            raise StoreError(f'the store at {self.path} failed to {what}: {exc}') from exc

    # Writes -----------------------------------------------------------------------------------

    def upsert(self, records: Sequence[MemoryRecord],
               vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace by id; in the WAL (surviving kill -9) when this returns."""
        if not records:
            return
        with self._lock:
            checked = check_vectors(records, vectors, self._require_info().dimension)
            points = [_point(r, v) for r, v in zip(records, checked)]
            self._check_free_space('store new memories')
            self._update(edge.UpdateOperation.upsert_points(points))
            self._since_optimize += len(points)

    def free_bytes(self) -> int:
        """Return the free space on the disk holding the store."""
        return shutil.disk_usage(self.path).free

    def _check_free_space(self, what: str) -> None:
        try:
            free = self.free_bytes()
        except OSError as exc:
            raise StoreError(f'cannot {what}: the store folder {self.path} is unreadable '
                             f'({exc.strerror})') from exc
        if free < self.min_free_bytes:
            raise StoreError(
                f'cannot {what}: the disk holding the store at {self.path} has '
                f'{free / 2**20:.1f} MB free, below the {self.min_free_bytes / 2**20:.0f} MB '
                'reserve (store_min_free_mb); writes are refused until space is freed (Edge '
                'would otherwise be killed mid-write); stored memories are unaffected')

    def optimize(self) -> None:
        """Build the HNSW index now in this process (blocking; seconds per 10k points)."""
        self._cancel_build()
        with self._lock:
            shard = self._require()
            self._check_free_space('build the search index')
            _LOG.info('optimizing the store at %s (%d new points)', self.path,
                      self._since_optimize)
            self._read('optimize', shard.optimize)
            shard_info = shard.info()
            self._since_optimize = _unindexed(shard_info)

    def purge_deleted(self) -> None:
        """Rewrite the shard with its live points only, so deleted payloads leave the disk."""
        # The copy being indexed still holds the deleted payloads: start over at the next open.
        self._cancel_build()
        with self._lock:
            shard = self._require()
            info = self._require_info()
            self._check_free_space('purge deleted memories')
            shard_path, compact_path, old_path = (os.path.join(self.path, d)
                                                  for d in (SHARD_DIR, COMPACT_DIR, OLD_DIR))
            if os.path.exists(compact_path):
                shutil.rmtree(compact_path)
            try:
                compact = self._create(compact_path, info)
                offset = None
                while True:
                    request = edge.ScrollRequest(offset=offset, limit=COMPACT_PAGE,
                                                 with_payload=True, with_vector=True)
                    points, offset = shard.scroll(request)
                    if points:
                        compact.update(edge.UpdateOperation.upsert_points(
                            [edge.Point(p.id, p.vector, p.payload) for p in points]))
                    if offset is None:
                        break
                compact.flush()
                compact.close()
                shard.flush()
                shard.close()
            except Exception as exc:  # noqa: B902 - Edge raises plain Exception
                raise StoreError(f'purging deleted memories in {self.path} failed (the store '
                                 f'is unchanged): {exc}') from exc
            self._shard = None
            os.rename(shard_path, old_path)
            os.rename(compact_path, shard_path)
            fsync_dir(self.path)
            shutil.rmtree(old_path)
            self._shard = edge.EdgeShard.load(shard_path)
            shard_info = self._shard.info()
            self._since_optimize = _unindexed(shard_info)

    def delete_ids(self, ids: Sequence[str]) -> int:
        """Delete by id; return how many existed."""
        valid = valid_ids(ids)
        if not valid:
            return 0
        with self._lock:
            shard = self._require()
            found = self._read('read', shard.retrieve, valid, False, False)
            existing: list[Any] = [str(r.id) for r in found]
            if existing:
                self._update(edge.UpdateOperation.delete_points(existing))
            return len(existing)

    def delete(self, flt: MemoryFilter) -> int:
        """Delete every record matching the filter; return how many."""
        with self._lock:
            if flt.near is not None:
                return self.delete_ids([r.id for r in self.scroll(flt, limit=None)])
            count = self.count(flt)
            if count:
                self._update(edge.UpdateOperation.delete_points_by_filter(
                    _edge_filter(flt) or edge.Filter()))
            return count

    # Reads ------------------------------------------------------------------------------------

    def search(self, vector: Sequence[float], flt: MemoryFilter, limit: int,
               text: str | None = None) -> list[ScoredRecord]:
        """Return the best matching records (dense, or hybrid with ``text``), top ``limit``."""
        query = edge.Query.Nearest([float(v) for v in vector])
        edge_filter = _edge_filter(flt)
        sparse = query_vector(text) if text else None
        fusion: Any = edge.Fusion.Rrf(k=RRF_K) if self.fusion == 'rrf' else edge.Fusion.Dbsf()

        def fetch(size: int | None) -> list[ScoredRecord]:
            if sparse is None or not sparse[0]:
                request = edge.SearchRequest(query=query, limit=size or 1, filter=edge_filter,
                                             params=self._search_params, with_payload=True)
                points = self._read('search', self._require().search, request)
                return [ScoredRecord(from_payload(p.payload), float(p.score)) for p in points]
            depth = max(size or 1, HYBRID_PREFETCH)
            hybrid = edge.QueryRequest(
                limit=size or 1, query=fusion, filter=edge_filter, with_payload=True,
                prefetches=[edge.Prefetch(limit=depth, query=query, filter=edge_filter,
                                          params=self._search_params),
                            edge.Prefetch(limit=depth, filter=edge_filter,
                                          query=edge.Query.Nearest(_sparse(sparse),
                                                                   using=BM25_VECTOR))])
            points = self._read('search', self._require().query, hybrid)
            return [ScoredRecord(from_payload(p.payload),
                                 normalized_fused_score(float(p.score), self.fusion, 2))
                    for p in points]

        with self._lock:
            return first_in_circle(fetch, lambda hit: hit.record, flt.near, limit)

    def get(self, ids: Sequence[str]) -> list[MemoryRecord]:
        """Return existing records in the order of ``ids``."""
        valid = valid_ids(ids)
        if not valid:
            return []
        with self._lock:
            found = self._read('read', self._require().retrieve, valid, True, False)
        records = {str(r.id): from_payload(r.payload) for r in found}
        return [records[i] for i in valid if i in records]

    def get_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Return stored vectors by id (unit length: the collection is cosine)."""
        valid = valid_ids(ids)
        if not valid:
            return {}
        with self._lock:
            found = self._read('read', self._require().retrieve, valid, False, True)
        return {str(r.id): _dense(r.vector) for r in found}

    def scroll(self, flt: MemoryFilter, limit: int | None,
               newest_first: bool = False) -> list[MemoryRecord]:
        """Return matching records by timestamp (all of them when limit is None)."""
        edge_filter = _edge_filter(flt)
        order = edge.OrderBy('timestamp', direction=edge.Direction.Desc if newest_first
                             else edge.Direction.Asc)

        def fetch(size: int | None) -> list[MemoryRecord]:
            if size is None:
                size = self._count(edge_filter)
            if size == 0:
                return []
            request = edge.ScrollRequest(limit=size, filter=edge_filter, with_payload=True,
                                         order_by=order)
            records, _ = self._read('scroll', self._require().scroll, request)
            return [from_payload(r.payload) for r in records]

        with self._lock:
            return first_in_circle(fetch, lambda record: record, flt.near, limit)

    def count(self, flt: MemoryFilter | None = None) -> int:
        """Count matching records."""
        flt = flt or MemoryFilter()
        if flt.near is not None:
            return len(self.scroll(flt, limit=None))
        with self._lock:
            return self._count(_edge_filter(flt))

    def _count(self, edge_filter: Any) -> int:
        request = edge.CountRequest(exact=True, filter=edge_filter)
        return int(self._read('count', self._require().count, request))

    def health(self) -> dict[str, str]:
        """Report backend facts for diagnostics; never raises."""
        facts = {'backend': 'qdrant-edge', 'path': self.path}
        with self._lock:
            if self._shard is None:
                return {**facts, 'points': '0', 'state': 'closed'}
            try:
                shard_info = self._shard.info()
            except Exception as exc:  # noqa: B902 - Edge raises plain Exception
                return {**facts, 'points': '0', 'state': f'error: {exc}'}
            return {**facts, 'points': str(shard_info.points_count), 'state': 'ok',
                    'indexed_points': str(shard_info.points_count - _unindexed(shard_info)),
                    'index': 'building' if self._build is not None else 'idle'}
